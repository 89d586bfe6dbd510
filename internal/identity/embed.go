package identity

import _ "embed"

// DocNumJS is docnum.js: a dependency-free browser validator exposing the
// global XXDocNum with validate(kind, s) → {ok, message, normalized}, using
// the same rules and Chinese messages as Validate. Serve it as
// application/javascript.
//
//go:embed docnum.js
var DocNumJS []byte
