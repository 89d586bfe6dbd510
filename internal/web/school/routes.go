package school

import (
	"net/http"

	"xiaoxiang"
)

// Routes mounts the school console under /school (school admins).
func (h *Handler) Routes(mux *http.ServeMux) {
	g := h.kit.Guard(xiaoxiang.RoleSchoolAdmin)
	mux.HandleFunc("GET /school", g(h.showHome))
	mux.HandleFunc("POST /school/support", g(h.saveSupport))
	mux.HandleFunc("GET /school/audit", g(h.showAudit))
	mux.HandleFunc("GET /school/refunds", g(h.showRefunds))
	mux.HandleFunc("POST /school/roster/{eid}/refund", g(h.requestRefund))
	mux.HandleFunc("GET /school/roster-template.xlsx", g(h.rosterTemplate))
	mux.HandleFunc("GET /school/tasks/new", g(h.showNewTask))
	mux.HandleFunc("POST /school/tasks", g(h.createTask))
	mux.HandleFunc("GET /school/tasks/{id}", g(h.showTask))
	mux.HandleFunc("GET /school/tasks/{id}/edit", g(h.showEditTask))
	mux.HandleFunc("POST /school/tasks/{id}", g(h.updateTask))
	mux.HandleFunc("POST /school/tasks/{id}/status", g(h.setTaskStatus))
	mux.HandleFunc("GET /school/tasks/{id}/roster", g(h.showRoster))
	mux.HandleFunc("POST /school/tasks/{id}/roster", g(h.importRoster))
	mux.HandleFunc("POST /school/tasks/{id}/photos", g(h.importPhotos))
	mux.HandleFunc("GET /school/tasks/{id}/students", g(h.showStudents))
	mux.HandleFunc("GET /school/tasks/{id}/students.csv", g(h.exportStudents))
	mux.HandleFunc("POST /school/roster/{eid}/reveal", g(h.reveal))
	mux.HandleFunc("GET /school/tasks/{id}/manual", g(h.showManual))
	mux.HandleFunc("POST /school/manual/{eid}", g(h.decideManual))
	mux.HandleFunc("GET /school/tasks/{id}/export", g(h.showExport))
	mux.HandleFunc("POST /school/tasks/{id}/export", g(h.createPackage))
	mux.HandleFunc("GET /school/packages/{pid}", g(h.showPackage))
	mux.HandleFunc("POST /school/packages/{pid}/delivered", g(h.markDelivered))
}
