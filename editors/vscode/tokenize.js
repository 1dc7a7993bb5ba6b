// Tokenizes .cpi files with the grammar, as VS Code does (vscode-textmate
// on Oniguruma), and prints one JSON line per token: the test in
// tests/editors.rs checks the scopes. Usage: node tokenize.js FILE...
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
const onigLib = oniguruma.loadWASM(wasm).then(() => ({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (s) => new oniguruma.OnigString(s),
}));
const registry = new vsctm.Registry({
  onigLib,
  loadGrammar: async () =>
    vsctm.parseRawGrammar(
      fs.readFileSync(path.join(__dirname, "syntaxes/cpi.tmLanguage.json"), "utf8"),
      "cpi.tmLanguage.json"
    ),
});

registry.loadGrammar("source.cpi").then((grammar) => {
  for (const file of process.argv.slice(2)) {
    let state = vsctm.INITIAL;
    fs.readFileSync(file, "utf8").split("\n").forEach((line, n) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        const text = line.slice(token.startIndex, token.endIndex);
        if (text.trim()) console.log(JSON.stringify({ line: n, text, scopes: token.scopes }));
      }
      state = result.ruleStack;
    });
  }
});
