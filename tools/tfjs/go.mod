// Node.js tooling lives here; this go.mod only keeps node_modules out of the xiaoxiang module.
module xiaoxiang/tools/tfjs

go 1.26
