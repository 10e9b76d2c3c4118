"""Lifecycle hooks: callbacks and installed ``nnfs.hooks`` plugins as pluggy plugins."""

from __future__ import annotations

import functools
import warnings

import pluggy
import pytest

from nnfs_core import _hooks, hookspecs, registry
from nnfs_core.errors import PluginLoadError
from nnfs_core.hookspecs import hookimpl
from nnfs_core.protocols import BaseCallback

NETWORK = object()


def fire_all(manager):
    """Call every lifecycle hook once, with the arguments the training loop passes."""
    manager.hook.on_fit_start(network=NETWORK, epochs=2, steps_per_epoch=3)
    manager.hook.on_epoch_start(network=NETWORK, epoch=0)
    manager.hook.on_batch_start(network=NETWORK, epoch=0, batch=0)
    manager.hook.on_batch_end(network=NETWORK, epoch=0, batch=0, logs={"loss": 1.0, "size": 4})
    manager.hook.on_epoch_end(network=NETWORK, epoch=0, logs={"loss": 1.0})
    manager.hook.on_fit_end(network=NETWORK, history=None)


def test_hook_names():
    assert hookspecs.HOOK_NAMES == {
        "on_fit_start", "on_fit_end", "on_epoch_start", "on_epoch_end", "on_batch_start", "on_batch_end"
    }
    assert hookspecs.PROJECT == "nnfs"


def test_undecorated_methods_named_like_a_hook_are_called_with_all_arguments(fake_plugins):
    calls = []

    class Recorder(BaseCallback):
        def on_fit_start(self, network, epochs, steps_per_epoch):
            calls.append(("fit_start", network, epochs, steps_per_epoch))

        def on_fit_end(self, network, history):
            calls.append(("fit_end", history))

        def on_epoch_start(self, network, epoch):
            calls.append(("epoch_start", epoch))

        def on_epoch_end(self, network, epoch, logs):
            calls.append(("epoch_end", epoch, logs))

        def on_batch_start(self, network, epoch, batch):
            calls.append(("batch_start", epoch, batch))

        def on_batch_end(self, network, epoch, batch, logs):
            calls.append(("batch_end", epoch, batch, logs))

    fire_all(_hooks.make_plugin_manager([Recorder()]))

    assert calls == [
        ("fit_start", NETWORK, 2, 3),
        ("epoch_start", 0),
        ("batch_start", 0, 0),
        ("batch_end", 0, 0, {"loss": 1.0, "size": 4}),
        ("epoch_end", 0, {"loss": 1.0}),
        ("fit_end", None),
    ]


def test_methods_may_take_a_subset_of_the_arguments(fake_plugins):
    calls = []

    class Few:
        def on_epoch_end(self, logs):
            calls.append(logs)

        def on_batch_end(self):
            calls.append("batch")

    fire_all(_hooks.make_plugin_manager([Few()]))
    assert calls == ["batch", {"loss": 1.0}]


def test_callbacks_are_called_in_the_order_given(fake_plugins):
    order = []

    class Named:
        def __init__(self, name):
            self.name = name

        def on_epoch_end(self, epoch):
            order.append(self.name)

    manager = _hooks.make_plugin_manager([Named("first"), Named("second"), Named("third")])
    manager.hook.on_epoch_end(network=NETWORK, epoch=0, logs={})
    assert order == ["first", "second", "third"]


def test_a_callback_sees_what_an_earlier_one_added_to_logs(fake_plugins):
    class Adds:
        def on_epoch_end(self, logs):
            logs["lr"] = 0.5

    class Reads:
        seen = None

        def on_epoch_end(self, logs):
            self.seen = dict(logs)

    reader = Reads()
    _hooks.make_plugin_manager([Adds(), reader]).hook.on_epoch_end(network=NETWORK, epoch=0, logs={"loss": 1.0})
    assert reader.seen == {"loss": 1.0, "lr": 0.5}


def test_hookimpl_decorated_methods_work_and_keep_pluggy_options(fake_plugins):
    order = []

    class Plain:
        def on_epoch_start(self, epoch):
            order.append("plain")

    class Decorated:
        @hookimpl(tryfirst=True)
        def on_epoch_start(self, epoch):
            order.append("decorated")

    manager = _hooks.make_plugin_manager([Plain(), Decorated()])
    manager.hook.on_epoch_start(network=NETWORK, epoch=0)
    assert order == ["decorated", "plain"]


def test_a_module_can_be_a_callback(fake_plugins):
    name = fake_plugins.module("""
        calls = []


        def on_fit_end(history):
            calls.append(history)
    """)
    module = __import__(name)
    _hooks.make_plugin_manager([module]).hook.on_fit_end(network=NETWORK, history="done")
    assert module.calls == ["done"]


def test_attributes_named_like_a_hook_that_are_not_callable_are_ignored(fake_plugins):
    class NotAHook:
        on_epoch_end = None

    manager = _hooks.make_plugin_manager([NotAHook()])
    assert manager.hook.on_epoch_end.get_hookimpls() == []
    manager.hook.on_epoch_end(network=NETWORK, epoch=0, logs={})


def test_registering_a_callback_does_not_evaluate_its_properties(fake_plugins):
    class WithProperties:
        @property
        def total_steps(self):
            raise RuntimeError("only known once fitting starts")

        @functools.cached_property
        def expensive(self):
            raise RuntimeError("never needed for registration")

        def on_epoch_end(self, logs):
            logs["seen"] = True

    logs = {}
    _hooks.make_plugin_manager([WithProperties()]).hook.on_epoch_end(network=NETWORK, epoch=0, logs=logs)
    assert logs == {"seen": True}


def test_static_and_class_methods_named_like_a_hook_are_hooks(fake_plugins):
    calls = []

    class Static:
        @staticmethod
        def on_fit_end(history):
            calls.append(("static", history))

        @classmethod
        def on_epoch_start(cls, epoch):
            calls.append(("class", epoch))

    manager = _hooks.make_plugin_manager([Static()])
    manager.hook.on_fit_end(network=NETWORK, history=1)
    manager.hook.on_epoch_start(network=NETWORK, epoch=2)
    assert calls == [("static", 1), ("class", 2)]


def test_callables_stored_on_the_instance_are_hooks(fake_plugins):
    calls = []

    class Recorder:
        def record(self, history):
            calls.append(("bound method", history))

    class Holder:  # as LambdaCallback does it
        def __init__(self):
            self.on_epoch_start = lambda epoch: calls.append(("lambda", epoch))
            self.on_fit_end = Recorder().record

    manager = _hooks.make_plugin_manager([Holder()])
    manager.hook.on_epoch_start(network=NETWORK, epoch=3)
    manager.hook.on_fit_end(network=NETWORK, history="h")
    assert calls == [("lambda", 3), ("bound method", "h")]


def test_a_misspelled_undecorated_method_is_silently_ignored(fake_plugins):
    # Documented behaviour: only names in hookspecs.HOOK_NAMES are hooks; anything else is a plain method.
    class Typo:
        called = False

        def on_epoch_ned(self, epoch, logs):
            Typo.called = True

    manager = _hooks.make_plugin_manager([Typo()])
    fire_all(manager)
    assert not Typo.called
    assert not hasattr(manager.hook, "on_epoch_ned")
    manager.check_pending()  # nothing pending: the method was never taken for a hook


def test_a_misspelled_decorated_method_is_pending_and_check_pending_reports_it(fake_plugins):
    # pluggy validates a marked implementation against the specs only when check_pending() is called.
    class Typo:
        @hookimpl
        def on_epoch_ned(self, epoch, logs):
            raise AssertionError("never called")

    manager = _hooks.make_plugin_manager([Typo()])
    fire_all(manager)
    with pytest.raises(pluggy.PluginValidationError, match="on_epoch_ned"):
        manager.check_pending()


def test_a_method_asking_for_an_argument_the_hook_does_not_have_is_rejected(fake_plugins):
    class Greedy:
        def on_epoch_end(self, epoch, logs, learning_rate):
            pass

    with pytest.raises(pluggy.PluginValidationError, match="learning_rate"):
        _hooks.make_plugin_manager([Greedy()])


def test_the_same_callback_twice_is_an_error(fake_plugins):
    callback = BaseCallback()
    with pytest.raises(ValueError, match="already registered"):
        _hooks.make_plugin_manager([callback, callback])


# -- installed nnfs.hooks plugins ------------------------------------------------------------------------------

PLUGINS = """
    instances = []
    fit_starts = []


    class Counter:
        def __init__(self):
            instances.append(self)

        def on_fit_start(self, network):
            fit_starts.append(network)


    def on_fit_end(history):
        fit_starts.append(("end", history))
"""


def test_installed_hook_plugins_are_called_and_loaded_once_per_process(fake_plugins):
    name = fake_plugins.module(PLUGINS)
    fake_plugins.add("hooks", "counter", f"{name}:Counter", dist="nnfs-counting", version="1.0")
    fake_plugins.add("hooks", "module_plugin", name, dist="nnfs-counting", version="1.0")

    for _ in range(2):
        manager = _hooks.make_plugin_manager()
        manager.hook.on_fit_start(network=NETWORK, epochs=1, steps_per_epoch=1)
        manager.hook.on_fit_end(network=NETWORK, history="h")

    module = __import__(name)
    assert len(module.instances) == 1  # a class is instantiated once, then reused
    assert module.fit_starts == [NETWORK, ("end", "h")] * 2
    assert sorted(n for n, _ in _hooks.hook_plugins()) == ["nnfs-counting:counter", "nnfs-counting:module_plugin"]


def test_installed_hook_plugins_and_callbacks_share_one_manager(fake_plugins):
    name = fake_plugins.module(PLUGINS)
    fake_plugins.add("hooks", "counter", f"{name}:Counter")
    seen = []

    class Callback:
        def on_fit_start(self, network):
            seen.append(network)

    _hooks.make_plugin_manager([Callback()]).hook.on_fit_start(network=NETWORK, epochs=1, steps_per_epoch=1)
    assert seen == [NETWORK] and __import__(name).fit_starts == [NETWORK]


def test_an_installed_plugin_passed_again_as_a_callback_is_registered_once(fake_plugins):
    name = fake_plugins.module(PLUGINS)
    fake_plugins.add("hooks", "module_plugin", name)
    module = __import__(name)
    _hooks.make_plugin_manager([module]).hook.on_fit_end(network=NETWORK, history=1)
    assert module.fit_starts == [("end", 1)]


def test_hook_plugins_are_not_imported_before_a_manager_is_made(fake_plugins):
    name = fake_plugins.module(PLUGINS)
    fake_plugins.add("hooks", "counter", f"{name}:Counter")
    assert [entry.name for entry in registry.hook_entries()] == ["counter"]
    assert fake_plugins.imported() == []


BROKEN_PLUGINS = {
    "import": ("raise RuntimeError('hook pack is broken')\n", "Plugin", "hook pack is broken"),
    "constructor": (
        "class Plugin:\n    def __init__(self):\n        raise ValueError('cannot start')\n",
        "Plugin",
        "cannot start",
    ),
    "signature": (
        "class Plugin:\n    def on_epoch_end(self, epoch, logs, colour):\n        pass\n",
        "Plugin",
        "colour",
    ),
    "attribute": ("", "Missing", "Missing"),
}


@pytest.mark.parametrize("failure", sorted(BROKEN_PLUGINS))
def test_a_broken_hook_plugin_is_skipped_with_a_warning(fake_plugins, failure):
    source, attribute, detail = BROKEN_PLUGINS[failure]
    broken = fake_plugins.module(source)
    good = fake_plugins.module(PLUGINS)
    fake_plugins.add("hooks", "bad", f"{broken}:{attribute}", dist="nnfs-bad-hooks", version="0.2")
    fake_plugins.add("hooks", "counter", f"{good}:Counter", dist="nnfs-good-hooks", version="1.0")

    with pytest.warns(_hooks.HookPluginWarning) as caught:
        manager = _hooks.make_plugin_manager()
    manager.hook.on_fit_start(network=NETWORK, epochs=1, steps_per_epoch=1)

    message = str(caught[0].message)
    assert "nnfs-bad-hooks==0.2" in message and detail in message
    assert __import__(good).fit_starts == [NETWORK]
    assert [name for name, _ in _hooks.hook_plugins()] == ["nnfs-good-hooks:counter"]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _hooks.make_plugin_manager()  # warned once per process, not for every fit


@pytest.mark.parametrize("failure", sorted(BROKEN_PLUGINS))
def test_a_broken_hook_plugin_raises_in_strict_mode(fake_plugins, monkeypatch, failure):
    source, attribute, detail = BROKEN_PLUGINS[failure]
    broken = fake_plugins.module(source)
    fake_plugins.add("hooks", "bad", f"{broken}:{attribute}", dist="nnfs-bad-hooks", version="0.2")
    monkeypatch.setenv("NNFS_STRICT_PLUGINS", "1")
    registry.refresh()
    with pytest.raises(PluginLoadError, match="nnfs-bad-hooks==0.2") as caught:
        _hooks.hook_plugins()
    assert detail in str(caught.value)


def test_a_disabled_hook_plugin_is_not_loaded(fake_plugins, monkeypatch):
    broken = fake_plugins.module("raise RuntimeError('hook pack is broken')\n")
    fake_plugins.add("hooks", "bad", f"{broken}:Plugin", dist="nnfs-bad-hooks")
    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", "nnfs-bad-hooks")
    registry.refresh()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _hooks.hook_plugins() == []
    assert fake_plugins.imported() == []


def test_refresh_reloads_hook_plugins(fake_plugins):
    name = fake_plugins.module(PLUGINS)
    assert _hooks.hook_plugins() == []
    fake_plugins.add("hooks", "counter", f"{name}:Counter")
    assert _hooks.hook_plugins() == []  # cached for the process ...
    registry.refresh()
    assert [n for n, _ in _hooks.hook_plugins()] == ["nnfs-fake:counter"]  # ... until refresh()
