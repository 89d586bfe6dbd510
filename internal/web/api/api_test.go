package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"xiaoxiang/internal/apptest"
	"xiaoxiang/internal/wechat/wechatfake"
)

type apiErr struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func TestAPI_Errors(t *testing.T) {
	a := apptest.New(t, apptest.Options{NoDemo: true})
	anon := &apptest.API{}
	*anon = *a.APILogin("api-errors")
	bad := *anon
	bad.Token = "forged.token"
	none := *anon
	none.Token = ""
	tests := []struct {
		name   string
		api    *apptest.API
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"no token", &none, "GET", "/api/v1/me/tasks", nil, 401, "unauthorized"},
		{"forged token", &bad, "GET", "/api/v1/me/tasks", nil, 401, "unauthorized"},
		{"login without code", &none, "POST", "/api/v1/login", map[string]string{}, 400, "invalid"},
		{"login with a used code", &none, "POST", "/api/v1/login", map[string]string{"code": "not-a-real-code"}, 401, "unauthorized"},
		{"login with unknown field", &none, "POST", "/api/v1/login", map[string]any{"code": "x", "extra": 1}, 400, "invalid"},
		{"empty school query", anon, "GET", "/api/v1/schools?q=", nil, 400, "invalid"},
		{"bad task id", anon, "GET", "/api/v1/tasks/abc", nil, 404, "not_found"},
		{"unknown task", anon, "GET", "/api/v1/tasks/424242", nil, 404, "not_found"},
		{"unknown binding", anon, "GET", "/api/v1/bindings/424242", nil, 404, "not_found"},
		{"bad consent kind", anon, "POST", "/api/v1/me/consents", map[string]string{"kind": "everything", "version": "x"}, 400, "invalid"},
		{"unknown route", anon, "GET", "/api/v1/nothing", nil, 404, "not_found"},
		{"subscribe to nothing", anon, "POST", "/api/v1/me/subscriptions", map[string]any{"kinds": []string{}}, 400, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e apiErr
			st := tt.api.Do(tt.method, tt.path, tt.body, &e)
			if st != tt.status || e.Code != tt.code || e.Message == "" {
				t.Fatalf("%s %s = %d %+v, want %d %s with a message", tt.method, tt.path, st, e, tt.status, tt.code)
			}
			if !hasHan(e.Message) {
				t.Errorf("message %q is not Chinese", e.Message)
			}
		})
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestAPI_StudentFlow covers login, schools, tasks, link, order, upload, check,
// standardize, submit and status through the JSON API.
func TestAPI_StudentFlow(t *testing.T) {
	a := apptest.New(t)
	try := a.Demo.Try
	api := a.APILogin("api-student")

	var schools struct {
		Schools []struct {
			ID   int64
			Name string
			Code string
		}
	}
	if st := api.Do("GET", "/api/v1/schools?q=hnsfdx", nil, &schools); st != 200 || len(schools.Schools) != 1 || schools.Schools[0].Code != "10542" {
		t.Fatalf("schools: %d %+v", st, schools)
	}
	var cats struct {
		Categories []struct {
			Category string
			Tasks    []struct {
				ID     int64
				Title  string
				FeeFen int64 `json:"fee_fen"`
				Open   bool
			}
		}
	}
	if st := api.Do("GET", fmt.Sprintf("/api/v1/schools/%d/tasks", schools.Schools[0].ID), nil, &cats); st != 200 || len(cats.Categories) != 3 {
		t.Fatalf("tasks: %d %+v", st, cats)
	}
	var e apiErr
	link := map[string]string{"name": try.Name, "doc_kind": "resident_id", "doc_number": try.DocNumber}
	path := fmt.Sprintf("/api/v1/tasks/%d/link", try.TaskID)
	if st := api.Do("POST", path, link, &e); st == 200 {
		t.Fatal("linked without the identity consent")
	}
	var cs struct{ Version string }
	api.Do("GET", "/api/v1/me/consents", nil, &cs)
	if st := api.Do("POST", "/api/v1/me/consents", map[string]string{"kind": "identity", "version": "1999-01-01"}, &e); st != 409 {
		t.Fatalf("old notice version: %d", st)
	}
	for _, k := range []string{"identity", "photo"} {
		if st := api.Do("POST", "/api/v1/me/consents", map[string]string{"kind": k, "version": cs.Version}, nil); st != 200 {
			t.Fatalf("consent %s: %d", k, st)
		}
	}
	wrong := map[string]string{"name": "王小明", "doc_kind": "resident_id", "doc_number": try.DocNumber}
	if st := api.Do("POST", path, wrong, &e); st != 404 || e.Code != "not_found" || strings.Contains(e.Message, try.DocNumber) {
		t.Fatalf("wrong name: %d %+v", st, e)
	}
	var b struct{ ID int64 }
	if st := api.Do("POST", path, link, &b); st != 200 || b.ID == 0 {
		t.Fatalf("link: %d %+v", st, b)
	}
	var status struct {
		Next     string
		Paid     bool
		DocLast4 string `json:"doc_last4"`
	}
	api.Do("GET", fmt.Sprintf("/api/v1/bindings/%d", b.ID), nil, &status)
	if status.Next != "pay" || status.Paid || status.DocLast4 != try.DocNumber[14:] {
		t.Fatalf("status before paying: %+v", status)
	}
	_, portrait := apptest.Portrait(t)
	if st := api.UploadPhoto(b.ID, portrait, &e); st != 402 || e.Code != "unpaid" {
		t.Fatalf("upload before paying: %d %+v", st, e)
	}
	var pay struct {
		Order struct {
			OutTradeNo string `json:"out_trade_no"`
		}
		Params struct {
			Package string
			PaySign string `json:"paySign"`
		}
	}
	if st := api.Do("POST", fmt.Sprintf("/api/v1/bindings/%d/order", b.ID), nil, &pay); st != 200 || !strings.HasPrefix(pay.Params.Package, "prepay_id=") || pay.Params.PaySign == "" {
		t.Fatalf("order: %d %+v", st, pay)
	}
	var order struct{ Status string }
	api.Do("GET", fmt.Sprintf("/api/v1/bindings/%d/order", b.ID), nil, &order)
	if order.Status != "created" {
		t.Fatalf("order before paying: %+v", order)
	}
	// The student pays in the simulator; the server learns it from the notification
	// (or its own query), never from the client.
	if no, err := a.Sim.Pay(strings.TrimPrefix(pay.Params.Package, "prepay_id="), wechatfake.NotifyMode{}); err != nil || no != pay.Order.OutTradeNo {
		t.Fatalf("simulated payment: %v (%s)", err, no)
	}
	deadline := time.Now().Add(10 * time.Second)
	for order.Status != "paid" {
		if time.Now().After(deadline) {
			t.Fatalf("order not paid: %+v", order)
		}
		time.Sleep(100 * time.Millisecond)
		api.Do("GET", fmt.Sprintf("/api/v1/bindings/%d/order", b.ID), nil, &order)
	}
	if st := api.UploadPhoto(b.ID, []byte("not a photo"), &e); st != 400 || e.Code != "invalid" {
		t.Fatalf("bad upload: %d %+v", st, e)
	}
	var at struct {
		ID      int64
		Verdict string
		Report  struct{ Checks []struct{ Name string } }
		Quota   struct{ Remaining int }
	}
	if st := api.UploadPhoto(b.ID, portrait, &at); st != 201 || at.ID == 0 || len(at.Report.Checks) < 10 || at.Quota.Remaining != 3 {
		t.Fatalf("upload: %d %+v", st, at)
	}
	var std struct {
		Standardized bool
		Quota        struct{ Remaining int }
	}
	if st := api.Do("POST", fmt.Sprintf("/api/v1/attempts/%d/standardize", at.ID), nil, &std); st != 200 || !std.Standardized || std.Quota.Remaining != 2 {
		t.Fatalf("standardize: %d %+v", st, std)
	}
	var sub struct{ Status string }
	if st := api.Do("POST", fmt.Sprintf("/api/v1/attempts/%d/submit", at.ID), nil, &sub); st != 200 || sub.Status == "" {
		t.Fatalf("submit: %d %+v", st, sub)
	}
	api.Do("GET", fmt.Sprintf("/api/v1/bindings/%d", b.ID), nil, &status)
	if status.Next != "wait" {
		t.Fatalf("status after submit: %+v", status)
	}
	var ns struct{ Notifications []struct{ Title string } }
	if st := api.Do("GET", "/api/v1/me/notifications", nil, &ns); st != 200 {
		t.Fatalf("notifications: %d", st)
	}
	other := a.APILogin("api-other")
	if st := other.Do("GET", fmt.Sprintf("/api/v1/attempts/%d", at.ID), nil, &e); st != 404 {
		t.Fatalf("someone else's attempt: %d", st)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/attempts/%d/photo/standardized", a.URL, at.ID), nil)
	req.Header.Set("Authorization", "Bearer "+api.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("photo: %v %v", err, resp)
	}
	resp.Body.Close()
	if st := api.Do("POST", "/api/v1/me/subscriptions", map[string]any{"kinds": []string{"review_result"}}, nil); st != 204 {
		t.Fatalf("subscribe: %d", st)
	}
	var md struct {
		Tasks    []struct{ Name string }
		Orders   []struct{ Status string }
		Attempts int
	}
	if st := api.Do("GET", "/api/v1/me/data", nil, &md); st != 200 || len(md.Tasks) != 1 || md.Tasks[0].Name != try.Name || md.Attempts != 1 {
		t.Fatalf("my data: %d %+v", st, md)
	}
	// 人工录入: refused where the task does not allow it, validated where it does.
	var tasks struct {
		Categories []struct {
			Tasks []struct {
				ID               int64
				AllowManualEntry bool   `json:"allow_manual_entry"`
				LinkMode         string `json:"link_mode"`
			}
		}
	}
	api.Do("GET", fmt.Sprintf("/api/v1/schools/%d/tasks", schools.Schools[0].ID), nil, &tasks)
	var noManual, manual int64
	for _, c := range tasks.Categories {
		for _, t := range c.Tasks {
			if t.LinkMode == "document" && !t.AllowManualEntry {
				noManual = t.ID
			}
			if t.AllowManualEntry {
				manual = t.ID
			}
		}
	}
	entry := map[string]string{"name": "林晓", "doc_kind": "resident_id", "doc_number": "11010519491231002X"}
	if st := other.Do("POST", fmt.Sprintf("/api/v1/tasks/%d/manual-entry", noManual), entry, &e); st != 403 {
		t.Fatalf("manual entry where not allowed: %d %+v", st, e)
	}
	other.Do("POST", "/api/v1/me/consents", map[string]string{"kind": "identity", "version": cs.Version}, nil)
	if st := other.Do("POST", fmt.Sprintf("/api/v1/tasks/%d/manual-entry", manual), map[string]string{"name": "林晓", "doc_number": "110105194912310021"}, &e); st != 400 || e.Code != "invalid" {
		t.Fatalf("manual entry with a bad number: %d %+v", st, e)
	}
	var pending struct {
		ID     int64
		Status string
	}
	if st := other.Do("POST", fmt.Sprintf("/api/v1/tasks/%d/manual-entry", manual), entry, &pending); st != 201 || pending.Status != "pending" {
		t.Fatalf("manual entry: %d %+v", st, pending)
	}
	// 解绑, then the binding's status says so.
	if st := api.Do("POST", fmt.Sprintf("/api/v1/bindings/%d/unbind", b.ID), nil, nil); st != 204 {
		t.Fatalf("unbind: %d", st)
	}
	if st := api.Do("POST", fmt.Sprintf("/api/v1/bindings/%d/unbind", b.ID), nil, &e); st < 400 {
		t.Fatalf("second unbind: %d", st)
	}
	if st := api.Do("DELETE", "/api/v1/me/data", nil, nil); st != 204 {
		t.Fatalf("delete my data: %d", st)
	}
	if st := api.Do("GET", "/api/v1/me/tasks", nil, &e); st != 401 {
		t.Fatalf("token after deletion: %d", st)
	}
}
