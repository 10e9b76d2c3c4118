// Typeset the maths that pymdownx.arithmatex (generic mode) leaves in <span|div class="arithmatex">.
// document$ is mkdocs-material's page observable: it fires on the first load and on every instant page.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
  });
});
