// Starts `cpic lsp` for .cpi files. Everything else comes from the server.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("cpic").get("path", "cpic");
  client = new LanguageClient(
    "cpic",
    "cpic",
    { command, args: ["lsp"] },
    { documentSelector: [{ scheme: "file", language: "cpi" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
