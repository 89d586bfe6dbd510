package api

// routes registers every endpoint of /api/v1 (documented in docs/openapi.yaml).
func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("POST /api/v1/login", h.login)
	m.HandleFunc("GET /api/v1/schools", h.authed(h.searchSchools))
	m.HandleFunc("GET /api/v1/schools/{id}/tasks", h.authed(h.schoolTasks))
	m.HandleFunc("GET /api/v1/tasks/{id}", h.authed(h.task))
	m.HandleFunc("GET /api/v1/me/tasks", h.authed(h.myTasks))
	m.HandleFunc("GET /api/v1/me/consents", h.authed(h.consents))
	m.HandleFunc("POST /api/v1/me/consents", h.authed(h.giveConsent))
	m.HandleFunc("POST /api/v1/tasks/{id}/link", h.authed(h.link))
	m.HandleFunc("POST /api/v1/tasks/{id}/manual-entry", h.authed(h.manualEntry))
	m.HandleFunc("GET /api/v1/bindings/{bid}", h.authed(h.status))
	m.HandleFunc("POST /api/v1/bindings/{bid}/unbind", h.authed(h.unbind))
	m.HandleFunc("POST /api/v1/bindings/{bid}/order", h.authed(h.startPayment))
	m.HandleFunc("GET /api/v1/bindings/{bid}/order", h.authed(h.refreshPayment))
	m.HandleFunc("POST /api/v1/bindings/{bid}/photos", h.authed(h.upload))
	m.HandleFunc("GET /api/v1/attempts/{aid}", h.authed(h.attempt))
	m.HandleFunc("POST /api/v1/attempts/{aid}/standardize", h.authed(h.standardize))
	m.HandleFunc("POST /api/v1/attempts/{aid}/submit", h.authed(h.submit))
	m.HandleFunc("GET /api/v1/attempts/{aid}/photo/{kind}", h.authed(h.photo))
	m.HandleFunc("POST /api/v1/me/subscriptions", h.authed(h.subscribe))
	m.HandleFunc("GET /api/v1/me/notifications", h.authed(h.notifications))
	m.HandleFunc("GET /api/v1/me/data", h.authed(h.myData))
	m.HandleFunc("DELETE /api/v1/me/data", h.authed(h.deleteMyData))
	m.HandleFunc("/api/v1/", h.notFound)
}
