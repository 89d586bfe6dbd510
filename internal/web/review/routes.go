package review

import (
	"net/http"

	"xiaoxiang"
)

// Routes mounts the review console under /review.
func (h *Handler) Routes(mux *http.ServeMux) {
	g := h.kit.Guard(xiaoxiang.RoleReviewer, xiaoxiang.RoleOperator, xiaoxiang.RoleSchoolAdmin)
	mux.HandleFunc("GET /review", g(h.showQueue))
	mux.HandleFunc("POST /review/next", g(h.claimNext))
	mux.HandleFunc("POST /review/batch-approve", g(h.batchApprove))
	mux.HandleFunc("GET /review/stats", g(h.showStats))
	mux.HandleFunc("GET /review/{id}", g(h.showItem))
	mux.HandleFunc("POST /review/{id}/approve", g(h.approve))
	mux.HandleFunc("POST /review/{id}/reject", g(h.reject))
	mux.HandleFunc("POST /review/{id}/skip", g(h.skip))
	mux.HandleFunc("POST /review/{id}/claim", g(h.claim))
	mux.HandleFunc("GET /review/{id}/photo/{kind}", g(h.photo))
	mux.HandleFunc("POST /review/{id}/reveal", g(h.reveal))
}
