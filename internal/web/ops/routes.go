package ops

import (
	"net/http"

	"xiaoxiang"
)

// Routes mounts the operator console under /ops.
func (h *Handler) Routes(mux *http.ServeMux) {
	g := h.kit.Guard(xiaoxiang.RoleOperator)
	mux.HandleFunc("GET /ops", g(h.showHome))
	mux.HandleFunc("GET /ops/schools/new", g(h.showSchool))
	mux.HandleFunc("POST /ops/schools", g(h.saveSchool))
	mux.HandleFunc("GET /ops/schools/{id}", g(h.showSchool))
	mux.HandleFunc("POST /ops/schools/{id}", g(h.saveSchool))
	mux.HandleFunc("GET /ops/staff", g(h.showStaffList))
	mux.HandleFunc("GET /ops/staff/new", g(h.showStaff))
	mux.HandleFunc("POST /ops/staff", g(h.saveStaff))
	mux.HandleFunc("GET /ops/staff/{id}", g(h.showStaff))
	mux.HandleFunc("POST /ops/staff/{id}", g(h.saveStaff))
	mux.HandleFunc("GET /ops/specs", g(h.showSpecs))
	mux.HandleFunc("POST /ops/specs", g(h.saveSpec))
	mux.HandleFunc("GET /ops/settings", g(h.showSettings))
	mux.HandleFunc("POST /ops/settings/reasons", g(h.saveReason))
	mux.HandleFunc("GET /ops/audit", g(h.showAudit))
	mux.HandleFunc("GET /ops/refunds", g(h.showRefunds))
	mux.HandleFunc("POST /ops/refunds/{oid}", g(h.decideRefund))
}
