package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// jsHarness loads docnum.js in node, reads cases from stdin and prints results.
const jsHarness = `
const api = require(process.argv[2]);
if (globalThis.XXDocNum !== api) throw new Error("global XXDocNum not set");
const now = new Date(Number(process.argv[3]));
let input = "";
process.stdin.on("data", d => input += d);
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  const out = cases.map(c => {
    const r = api.validate(c.kind, c.in, now);
    return {ok: r.ok, message: r.message, normalized: r.normalized, detect: api.detect(c.in), mask: api.mask(c.in)};
  });
  process.stdout.write(JSON.stringify(out));
});
`

type jsCase struct {
	Kind string `json:"kind"`
	In   string `json:"in"`
}

type jsResult struct {
	OK         bool   `json:"ok"`
	Message    string `json:"message"`
	Normalized string `json:"normalized"`
	Detect     string `json:"detect"`
	Mask       string `json:"mask"`
}

// agreementCases is the table cases for every kind, plus random mutations of
// valid numbers (which exercise every rule) and odd Unicode.
func agreementCases() []jsCase {
	var cs []jsCase
	for _, c := range validateCases {
		for _, k := range append(Kinds(), Kind("nope")) {
			cs = append(cs, jsCase{string(k), c.in})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("0123456789XxHMAZaz -＿１Ｘｘ\u3000\u00a0\u200b\ufeff号ß\t")
	seeds := []string{"11010519491231002X", withCheck("81000019900101002"), withCheck("93115619900101002"),
		"USA123456789012", "H12345678", "M1234567801", "12345678", "E12345678", withCheck("11010520261129002"),
		withCheck("11010520261130002"), withCheck("11010520000229002")}
	for i := 0; i < 3000; i++ {
		s := []rune(seeds[r.IntN(len(seeds))])
		for j := r.IntN(3); j >= 0; j-- {
			switch p := r.IntN(len(s) + 1); r.IntN(3) {
			case 0:
				if p < len(s) {
					s[p] = alphabet[r.IntN(len(alphabet))]
				}
			case 1:
				s = append(s[:p], append([]rune{alphabet[r.IntN(len(alphabet))]}, s[p:]...)...)
			case 2:
				if p < len(s) {
					s = append(s[:p], s[p+1:]...)
				}
			}
		}
		cs = append(cs, jsCase{string(Kinds()[r.IntN(len(Kinds()))]), string(s)})
	}
	return cs
}

func TestJSAgreesWithGo(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	jsPath := filepath.Join(dir, "docnum.js")
	if err := os.WriteFile(jsPath, DocNumJS, 0o600); err != nil {
		t.Fatal(err)
	}
	harness := filepath.Join(dir, "harness.js")
	if err := os.WriteFile(harness, []byte(jsHarness), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := agreementCases()
	in, _ := json.Marshal(cases)
	cmd := exec.Command(node, harness, jsPath, fmt.Sprint(fixedNow.UnixMilli()))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res []jsResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("bad node output (%d results, %v)", len(res), err)
	}
	bad := 0
	for i, c := range cases {
		n, err := ValidateAt(Kind(c.Kind), c.In, fixedNow)
		want := jsResult{OK: err == nil, Message: UserMessage(err), Normalized: n, Mask: Mask(c.In)}
		if k, ok := Detect(c.In); ok {
			want.Detect = string(k)
		}
		if res[i] != want {
			bad++
			if bad <= 10 {
				t.Errorf("kind %s input %q:\n go %+v\n js %+v", c.Kind, c.In, want, res[i])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d cases disagree", bad, len(cases))
	}
	t.Logf("%d cases agree", len(cases))
}
