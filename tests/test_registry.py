"""The entry-point registry against faked installed distributions (``fake_plugins`` in conftest.py)."""

from __future__ import annotations

import importlib
import os

import pytest

from nnfs_core import registry
from nnfs_core.errors import (
    ComponentConflictError,
    ComponentNotFoundError,
    ConfigError,
    NNFSError,
    PluginLoadError,
)
from nnfs_core.protocols import BaseLayer

COMPONENTS = """
    from nnfs_core.protocols import BaseLayer


    class Scale(BaseLayer):
        def __init__(self, factor=2.0, *, bias=0.0):
            super().__init__()
            self.factor = factor
            self.bias = bias

        def forward(self, x, *, training=False):
            return x * self.factor + self.bias

        def backward(self, grad):
            return grad * self.factor


    class Other(BaseLayer):
        pass
"""


@pytest.fixture
def scale_module(fake_plugins):
    return fake_plugins.module(COMPONENTS)


# -- laziness and caching --------------------------------------------------------------------------------------


def test_listing_and_errors_import_nothing(fake_plugins, scale_module):
    recorded = fake_plugins.module("")
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")
    fake_plugins.add("layers", "recorded", f"{recorded}:Thing")
    fake_plugins.add("layers", "ghost", "nnfs_fake_module_that_does_not_exist:Ghost")
    fake_plugins.add("activations", "ghost_act", "nnfs_fake_other_missing_module:Ghost")

    assert registry.layers.names() == ["ghost", "recorded", "scale"]
    assert [entry.name for entry in registry.layers.entries()] == ["ghost", "recorded", "scale"]
    assert not any(entry.loaded for entry in registry.layers.entries())
    assert "scale" in registry.layers and "ghost" in registry.layers
    assert len(registry.layers) == 3 and list(registry.layers) == registry.layers.names()
    with pytest.raises(ComponentNotFoundError):
        registry.layers.get("scael")
    assert registry.layers.entry("scale").target == f"{scale_module}:Scale"

    assert fake_plugins.imported() == []


def test_get_imports_exactly_one_target(fake_plugins, scale_module):
    other = fake_plugins.module("class Thing:\n    pass\n")
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")
    fake_plugins.add("layers", "thing", f"{other}:Thing")
    fake_plugins.add("layers", "ghost", "nnfs_fake_module_that_does_not_exist:Ghost")

    cls = registry.layers.get("scale")

    assert cls.__name__ == "Scale" and cls.__module__ == scale_module
    assert fake_plugins.imported() == [scale_module]
    loaded = {entry.name: entry.loaded for entry in registry.layers.entries()}
    assert loaded == {"ghost": False, "scale": True, "thing": False}
    assert registry.layers.get("scale") is cls


def test_entry_points_are_scanned_once_per_process_and_refresh_rescans(fake_plugins, scale_module):
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")
    registry.layers.names()
    registry.activations.names()
    registry.layers.get("scale")
    assert "scale" in registry.layers
    registry.losses.entries()
    assert fake_plugins.scans == 1

    fake_plugins.add("layers", "late", f"{scale_module}:Other")  # "installed" after the scan
    assert "late" not in registry.layers

    registry.refresh()
    assert "late" in registry.layers
    assert registry.layers.get("late").__name__ == "Other"
    assert fake_plugins.scans == 2


def test_refresh_makes_modules_written_since_start_up_importable(fake_plugins):
    directory = fake_plugins.directory
    late = "nnfs_fake_late_" + fake_plugins.module("").rpartition("_")[2]
    importlib.import_module(fake_plugins.module(""))  # the import system now caches the directory listing
    before = directory.stat()
    (directory / f"{late}.py").write_text("class Late:\n    pass\n")
    fake_plugins.modules.append(late)
    # as on file systems with coarse timestamps: the directory looks unchanged
    os.utime(directory, ns=(before.st_atime_ns, before.st_mtime_ns))
    fake_plugins.add("layers", "late", f"{late}:Late")

    registry.refresh()

    assert registry.layers.get("late").__name__ == "Late"


def test_entry_gives_distribution_version_and_target(fake_plugins, scale_module):
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale", dist="nnfs-scales", version="3.1.4")
    entry = registry.layers.entry("scale")
    assert (entry.name, entry.kind, entry.distribution, entry.version) == ("scale", "layers", "nnfs-scales", "3.1.4")
    assert entry.target == f"{scale_module}:Scale"
    assert not entry.loaded


# -- names -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["Leaky_ReLU", "leaky_relu", "leaky-relu", "LEAKY.RELU", "leakyrelu", "Leaky ReLU"]
)
def test_names_are_normalised_but_displayed_as_written(fake_plugins, scale_module, spelling):
    fake_plugins.add("activations", "Leaky_ReLU", f"{scale_module}:Scale")
    assert spelling in registry.activations
    assert registry.activations.get(spelling).__name__ == "Scale"
    assert registry.activations.names() == ["Leaky_ReLU"]


def test_normalize():
    assert registry.normalize("Conv-Transpose_2.D") == "convtranspose2d"
    assert registry.normalize("relu") == registry.normalize("ReLU") == registry.normalize("re_lu")
    assert registry.normalize("relu6") != registry.normalize("relu")


def test_names_sort_ignoring_case_and_separators(fake_plugins, scale_module):
    for name in ("b_layer", "A-layer", "c.layer", "aa"):
        fake_plugins.add("layers", name, f"{scale_module}:Scale")
    assert registry.layers.names() == ["aa", "A-layer", "b_layer", "c.layer"]


def test_a_name_that_is_not_a_string_is_a_type_error(fake_plugins):
    with pytest.raises(TypeError, match="by name"):
        registry.layers.get(3)
    assert 3 not in registry.layers


# -- not found -------------------------------------------------------------------------------------------------


def test_unknown_name_is_a_key_error_listing_names_with_a_did_you_mean(fake_plugins, scale_module):
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")
    fake_plugins.add("layers", "shift", f"{scale_module}:Other")
    fake_plugins.add("activations", "sigmoid_like", f"{scale_module}:Other")

    with pytest.raises(KeyError) as caught:
        registry.layers.get("scael")

    error = caught.value
    assert isinstance(error, ComponentNotFoundError) and isinstance(error, NNFSError)
    message = str(error)
    assert message.startswith("No layers component named 'scael'.")  # not wrapped in quotes like KeyError
    assert "Did you mean 'scale'?" in message
    assert "Available layers: scale, shift." in message
    assert "Available activations: sigmoid_like." in message  # layer lookups accept activations too
    assert "pip install" not in message
    assert fake_plugins.imported() == []


def test_unknown_name_with_nothing_close_has_no_did_you_mean(fake_plugins, scale_module):
    fake_plugins.add("losses", "mse", f"{scale_module}:Other")
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.losses.get("kullback_leibler")
    assert "Did you mean" not in str(caught.value)
    assert "Available losses: mse." in str(caught.value)


def test_unknown_name_when_nothing_is_installed(fake_plugins):
    with pytest.raises(ComponentNotFoundError, match=r"Available metrics: \(none installed\)"):
        registry.metrics.get("accuracy")


@pytest.mark.parametrize(
    ("kind", "name", "pack"),
    [
        ("layers", "conv2d", "nnfs-conv"),
        ("layers", "Max-Pool2D", "nnfs-conv"),
        ("optimizers", "adam", "nnfs-optim"),
        ("schedulers", "cosine_annealing_lr", "nnfs-optim"),
        ("activations", "relu", "nnfs-activations"),
        ("layers", "gelu", "nnfs-activations"),  # layer names fall back to activations
    ],
)
def test_first_party_name_not_installed_says_which_pack_to_install(fake_plugins, kind, name, pack):
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.of_kind(kind).get(name)
    assert f"pip install {pack}" in str(caught.value)
    assert str(caught.value).count("pip install") == 1


def test_first_party_name_of_another_kind_does_not_suggest_its_pack(fake_plugins):
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.losses.get("adam")
    assert "pip install" not in str(caught.value)


def test_unknown_kind(fake_plugins):
    with pytest.raises(ComponentNotFoundError, match="no component kind 'layer'"):
        registry.of_kind("layer")


def test_kinds_and_their_groups():
    expected = {
        "layers": "nnfs.layers", "activations": "nnfs.activations", "losses": "nnfs.losses",
        "optimizers": "nnfs.optimizers", "schedulers": "nnfs.schedulers", "initializers": "nnfs.initializers",
        "metrics": "nnfs.metrics", "callbacks": "nnfs.callbacks", "datasets": "nnfs.datasets", "ops": "nnfs.ops",
        "strategies": "nnfs.strategies",
    }
    assert registry.KINDS == expected
    assert registry.kinds() == list(expected)
    assert {kind: registry.of_kind(kind).group for kind in registry.kinds()} == expected
    assert registry.of_kind("layers") is registry.layers
    assert registry.HOOKS_GROUP == "nnfs.hooks"


# -- conflicts and pins ----------------------------------------------------------------------------------------


@pytest.fixture
def clash(fake_plugins):
    module_a = fake_plugins.module("class Widget:\n    origin = 'a'\n")
    module_b = fake_plugins.module("class Widget:\n    origin = 'b'\n")
    fake_plugins.add("layers", "widget", f"{module_a}:Widget", dist="nnfs-widgets-a", version="1.0")
    fake_plugins.add("layers", "Widget", f"{module_b}:Widget", dist="nnfs-widgets-b", version="2.5")
    fake_plugins.add("layers", "gadget", f"{module_a}:Widget", dist="nnfs-widgets-a", version="1.0")
    return fake_plugins


def test_same_name_from_two_distributions_is_a_conflict(clash):
    with pytest.raises(ComponentConflictError) as caught:
        registry.layers.get("widget")

    message = str(caught.value)
    assert isinstance(caught.value, NNFSError)
    assert "nnfs-widgets-a==1.0" in message and "nnfs-widgets-b==2.5" in message
    assert 'NNFS_PREFER="widget=nnfs-widgets-a"' in message
    assert 'registry.layers.prefer("widget", "nnfs-widgets-a")' in message
    assert clash.imported() == []


def test_conflict_is_raised_on_lookup_only(clash):
    assert "widget" in registry.layers
    assert registry.layers.names() == ["gadget", "widget"]
    assert [(e.name, e.distribution) for e in registry.layers.entries()] == [
        ("gadget", "nnfs-widgets-a"), ("widget", "nnfs-widgets-a"), ("Widget", "nnfs-widgets-b")
    ]
    assert registry.layers.get("gadget").origin == "a"


@pytest.mark.parametrize(
    ("pins", "origin"),
    [
        ("widget=nnfs-widgets-b", "b"),
        ("WIDGET=nnfs_widgets_a", "a"),
        ("other=nnfs-widgets-a, widget=nnfs-widgets-b", "b"),
    ],
)
def test_nnfs_prefer_resolves_a_conflict(clash, monkeypatch, pins, origin):
    monkeypatch.setenv("NNFS_PREFER", pins)
    assert registry.layers.get("widget").origin == origin
    assert registry.layers.entry("Widget").distribution == f"nnfs-widgets-{origin}"


def test_nnfs_prefer_naming_another_distribution_does_not_resolve(clash, monkeypatch):
    monkeypatch.setenv("NNFS_PREFER", "widget=nnfs-somebody-else")
    with pytest.raises(ComponentConflictError):
        registry.layers.get("widget")


def test_prefer_in_code_resolves_a_conflict(clash):
    registry.layers.prefer("Widget", "NNFS-Widgets-B")
    assert registry.layers.get("widget").origin == "b"
    registry.layers.prefer("widget", "nnfs-widgets-a")
    assert registry.layers.create("widget").origin == "a"


def test_identical_entries_of_one_distribution_are_not_a_conflict(fake_plugins, scale_module):
    for _ in range(2):  # stale metadata: the same distribution found twice
        fake_plugins.add("layers", "scale", f"{scale_module}:Scale", dist="nnfs-scales", version="1.0")
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale", dist="NNFS_Scales", version="0.9")

    assert registry.layers.get("scale").__name__ == "Scale"
    assert len(registry.layers.entries()) == 1


def test_two_names_of_one_distribution_for_one_key_are_not_a_conflict(fake_plugins, scale_module):
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale", dist="nnfs-scales")
    fake_plugins.add("layers", "Scale", f"{scale_module}:Other", dist="nnfs-scales")
    assert registry.layers.get("scale").__name__ == "Scale"


# -- broken packs ----------------------------------------------------------------------------------------------


@pytest.fixture
def broken(fake_plugins, scale_module):
    failing = fake_plugins.module("raise RuntimeError('this pack is broken')\n")
    fake_plugins.add("layers", "cracked", f"{failing}:Cracked", dist="nnfs-broken", version="0.3")
    fake_plugins.add("activations", "shattered", f"{failing}:Shattered", dist="nnfs-broken", version="0.3")
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale", dist="nnfs-fine", version="1.0")
    return fake_plugins


def test_a_pack_that_fails_to_import_breaks_only_its_own_names(broken):
    with pytest.raises(PluginLoadError) as caught:
        registry.layers.get("cracked")

    error = caught.value
    assert isinstance(error, ImportError) and isinstance(error, NNFSError)
    assert isinstance(error.__cause__, RuntimeError)
    assert str(error.__cause__) == "this pack is broken"
    assert "nnfs-broken==0.3" in str(error) and "this pack is broken" in str(error)
    assert "'cracked'" in str(error) and "NNFS_DISABLE_PLUGINS=nnfs-broken" in str(error)
    assert error.name == "cracked"

    with pytest.raises(PluginLoadError, match="nnfs-broken==0.3"):
        registry.activations.get("shattered")
    assert registry.layers.get("scale").__name__ == "Scale"
    assert registry.layers.names() == ["cracked", "scale"]


def test_a_failed_import_is_retried_and_fails_again(broken):
    for _ in range(2):
        with pytest.raises(PluginLoadError):
            registry.layers.get("cracked")
    assert not registry.layers.entry("cracked").loaded


@pytest.mark.parametrize(
    ("target", "cause"),
    [("nnfs_fake_no_such_module:Thing", ModuleNotFoundError), ("{module}:NoSuchAttribute", AttributeError)],
)
def test_missing_module_or_attribute_is_a_plugin_load_error(fake_plugins, scale_module, target, cause):
    fake_plugins.add("layers", "missing", target.format(module=scale_module), dist="nnfs-stale", version="2.0")
    with pytest.raises(PluginLoadError, match="nnfs-stale==2.0") as caught:
        registry.layers.get("missing")
    assert isinstance(caught.value.__cause__, cause)


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_strict_plugins_fail_at_discovery(broken, monkeypatch, value):
    monkeypatch.setenv("NNFS_STRICT_PLUGINS", value)
    registry.refresh()
    with pytest.raises(PluginLoadError, match="nnfs-broken==0.3"):
        registry.layers.names()
    with pytest.raises(PluginLoadError):
        registry.losses.names()  # every kind: discovery itself fails


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_strict_plugins_off(broken, monkeypatch, value):
    monkeypatch.setenv("NNFS_STRICT_PLUGINS", value)
    registry.refresh()
    assert registry.layers.names() == ["cracked", "scale"]
    assert broken.imported() == []


def test_strict_plugins_import_every_target_at_discovery(fake_plugins, scale_module, monkeypatch):
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")
    monkeypatch.setenv("NNFS_STRICT_PLUGINS", "1")
    registry.refresh()
    assert registry.layers.names() == ["scale"]
    assert fake_plugins.imported() == [scale_module]


# -- switching packs off ---------------------------------------------------------------------------------------


def test_disabled_distributions_are_invisible(broken, monkeypatch):
    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", " NNFS_Broken ,nnfs-unrelated")
    registry.refresh()

    assert registry.layers.names() == ["scale"]
    assert "cracked" not in registry.layers
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.layers.get("cracked")
    assert "nnfs-broken" in str(caught.value) and "NNFS_DISABLE_PLUGINS" in str(caught.value)
    assert "pip install" not in str(caught.value)


def test_disabling_a_broken_pack_makes_strict_mode_pass(broken, monkeypatch):
    monkeypatch.setenv("NNFS_STRICT_PLUGINS", "1")
    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", "nnfs-broken")
    registry.refresh()
    assert registry.layers.names() == ["scale"]
    assert registry.activations.names() == []


def test_disabled_first_party_pack_is_not_reported_as_not_installed(fake_plugins, scale_module, monkeypatch):
    fake_plugins.add("layers", "conv2d", f"{scale_module}:Scale", dist="nnfs-conv", version="0.1.0")
    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", "nnfs-conv")
    registry.refresh()
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.layers.get("conv2d")
    assert "nnfs-conv" in str(caught.value) and "NNFS_DISABLE_PLUGINS" in str(caught.value)
    assert "not installed" not in str(caught.value)


def test_disabling_is_read_at_scan_time(broken, monkeypatch):
    assert "cracked" in registry.layers
    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", "nnfs-broken")
    assert "cracked" in registry.layers  # the scan is cached ...
    registry.refresh()
    assert "cracked" not in registry.layers  # ... until refresh()


# -- in-process registration -----------------------------------------------------------------------------------


class Local(BaseLayer):
    def __init__(self, size=1):
        super().__init__()
        self.size = size


def test_register_in_process(fake_plugins):
    returned = registry.layers.register("my_local")(Local)

    assert returned is Local
    assert registry.layers.get("My-Local") is Local
    assert "my_local" in registry.layers.names()
    entry = registry.layers.entry("my_local")
    assert entry.distribution == registry.IN_PROCESS and entry.loaded
    assert entry.target == f"{__name__}:Local"
    assert registry.layers.create("my_local", size=4).size == 4


def test_register_survives_refresh(fake_plugins):
    registry.layers.register("my_local")(Local)
    registry.refresh()
    assert registry.layers.get("my_local") is Local


def test_second_registration_of_a_name_raises_unless_override(fake_plugins):
    registry.layers.register("my_local")(Local)

    class Replacement(Local):
        pass

    with pytest.raises(ComponentConflictError, match="already taken"):
        registry.layers.register("MY_LOCAL")(Replacement)
    assert registry.layers.get("my_local") is Local

    registry.layers.register("my_local", override=True)(Replacement)
    assert registry.layers.get("my_local") is Replacement


def test_registering_a_name_an_installed_pack_provides(fake_plugins, scale_module):
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale", dist="nnfs-scales", version="1.1")

    with pytest.raises(ComponentConflictError, match=r"nnfs-scales==1\.1"):
        registry.layers.register("scale")(Local)
    assert fake_plugins.imported() == []

    registry.layers.register("scale", override=True)(Local)
    assert registry.layers.get("scale") is Local  # shadows the entry point
    registry.layers.unregister("scale")
    assert registry.layers.get("scale").__name__ == "Scale"


def test_register_is_per_kind(fake_plugins):
    registry.layers.register("thing")(Local)
    registry.activations.register("thing")(Local)
    assert "thing" not in registry.losses
    registry.layers.unregister("thing")
    registry.layers.unregister("never_registered")  # no error
    assert registry.layers.get("thing") is Local  # via the activations fallback


# -- creating components ---------------------------------------------------------------------------------------


@pytest.fixture
def scale(fake_plugins, scale_module):
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")
    return registry.layers.get("scale")


def test_create_from_name_and_keywords(scale):
    layer = registry.layers.create("scale", factor=3.0, bias=1.0)
    assert isinstance(layer, scale)
    assert (layer.factor, layer.bias) == (3.0, 1.0)
    assert registry.layers.create("SCALE").factor == 2.0


def test_create_from_a_config_dict(scale):
    config = {"name": "scale", "factor": 5.0}
    layer = registry.layers.create(config)
    assert isinstance(layer, scale) and layer.factor == 5.0
    assert config == {"name": "scale", "factor": 5.0}  # not consumed
    assert registry.layers.create(config, bias=2.0).bias == 2.0


def test_create_from_a_dict_without_a_name(scale):
    with pytest.raises(ConfigError, match="'name'") as caught:
        registry.layers.create({"factor": 5.0})
    assert isinstance(caught.value, ValueError)


def test_create_with_wrong_arguments_is_a_config_error(scale):
    with pytest.raises(ConfigError, match="'scale'.*colour") as caught:
        registry.layers.create("scale", colour="red")
    assert isinstance(caught.value.__cause__, TypeError)


def test_create_an_unknown_name(scale):
    with pytest.raises(ComponentNotFoundError, match="Did you mean 'scale'"):
        registry.layers.create({"name": "scal"})


def test_resolve_accepts_instances_names_dicts_and_classes(scale):
    instance = scale(factor=7.0)
    assert registry.layers.resolve(instance) is instance
    assert registry.layers.resolve("scale").factor == 2.0
    assert registry.layers.resolve({"name": "scale", "factor": 4.0}).factor == 4.0
    made = registry.layers.resolve(scale)
    assert isinstance(made, scale) and made.factor == 2.0


def test_layer_lookups_fall_back_to_activations(fake_plugins, scale_module):
    fake_plugins.add("activations", "relu", f"{scale_module}:Other", dist="nnfs-activations")
    fake_plugins.add("activations", "scale", f"{scale_module}:Other", dist="nnfs-activations")
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")

    assert registry.layers.get("relu").__name__ == "Other"
    assert registry.layers.create({"name": "ReLU"}).__class__.__name__ == "Other"
    assert registry.layers.entry("relu").kind == "activations"
    assert registry.layers.get("scale").__name__ == "Scale"  # a layer of that name comes first
    assert "relu" in registry.layers  # `in` agrees with get()
    assert registry.layers.names() == ["scale"]  # listing stays per kind
    with pytest.raises(ComponentNotFoundError):
        registry.activations.get("only_a_layer_name")


# -- configs ---------------------------------------------------------------------------------------------------


def test_config_of_a_component_from_an_entry_point(scale):
    layer = registry.layers.create("scale", factor=3.0)
    config = registry.config_of(layer)
    assert config == {"name": "scale", "factor": 3.0, "bias": 0.0}
    assert registry.config_of(registry.layers.create(config)) == config


def test_config_of_a_component_not_yet_imported_through_the_registry(fake_plugins, scale_module):
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")
    module = __import__(scale_module)  # imported directly, not via get(): matched by its target
    assert registry.config_of(module.Scale(factor=1.5)) == {"name": "scale", "factor": 1.5, "bias": 0.0}


def test_config_of_an_in_process_component(fake_plugins):
    registry.layers.register("my_local")(Local)
    assert registry.config_of(Local(size=3)) == {"name": "my_local", "size": 3}


def test_config_of_an_alias_prefers_the_name_of_the_class(fake_plugins, scale_module):
    fake_plugins.add("layers", "a_scale_alias", f"{scale_module}:Scale")
    fake_plugins.add("layers", "scale", f"{scale_module}:Scale")
    fake_plugins.add("layers", "z_scale_alias", f"{scale_module}:Scale")
    assert registry.config_of(registry.layers.create("z_scale_alias"))["name"] == "scale"


def test_config_of_an_unregistered_component(fake_plugins):
    with pytest.raises(ConfigError, match=r"test_registry.*Local.*not registered"):
        registry.config_of(Local())
