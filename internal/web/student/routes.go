package student

// routes registers every student page. URL shapes:
//
//	/schools…            search → category → tasks (public data, login required)
//	/tasks/{id}…         a task before linking (consent, 关联, 人工录入)
//	/my/{bid}…           one of my bindings: pay, guide, camera, photos, status, 解绑
//	/me/data             my data (view and delete)
func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /{$}", h.showHome)
	m.HandleFunc("GET /login", h.showLogin)
	m.HandleFunc("GET /login/wechat", h.startLogin)
	m.HandleFunc("GET /login/callback", h.finishLogin)
	m.HandleFunc("POST /logout", h.logout)
	m.HandleFunc("GET /help", h.showHelp)

	m.HandleFunc("GET /schools", h.searchSchools)
	m.HandleFunc("GET /schools/{id}", h.showCategories)
	m.HandleFunc("GET /schools/{id}/{category}", h.showTasks)
	m.HandleFunc("GET /my", h.showMyTasks)

	m.HandleFunc("GET /tasks/{id}", h.enterTask)
	m.HandleFunc("GET /tasks/{id}/consent", h.showIdentityConsent)
	m.HandleFunc("POST /tasks/{id}/consent", h.giveIdentityConsent)
	m.HandleFunc("GET /tasks/{id}/link", h.showLink)
	m.HandleFunc("POST /tasks/{id}/link", h.link)
	m.HandleFunc("GET /tasks/{id}/manual", h.showManual)
	m.HandleFunc("POST /tasks/{id}/manual", h.submitManual)

	m.HandleFunc("GET /my/{bid}", h.nextStep)
	m.HandleFunc("GET /my/{bid}/pay", h.showPay)
	m.HandleFunc("POST /my/{bid}/pay", h.startPay)
	m.HandleFunc("GET /my/{bid}/pay/wait", h.showPayWait)
	m.HandleFunc("GET /my/{bid}/pay/status", h.payStatus)
	m.HandleFunc("GET /my/{bid}/guide", h.showGuide)
	m.HandleFunc("GET /my/{bid}/consent", h.showPhotoConsent)
	m.HandleFunc("POST /my/{bid}/consent", h.givePhotoConsent)
	m.HandleFunc("GET /my/{bid}/camera", h.showCamera)
	m.HandleFunc("POST /my/{bid}/photos", h.upload)
	m.HandleFunc("GET /my/{bid}/photos/{aid}", h.showReport)
	m.HandleFunc("GET /my/{bid}/photos/{aid}/confirm", h.showConfirm)
	m.HandleFunc("POST /my/{bid}/photos/{aid}/standardize", h.standardize)
	m.HandleFunc("GET /my/{bid}/photos/{aid}/result", h.showResult)
	m.HandleFunc("POST /my/{bid}/photos/{aid}/submit", h.submit)
	m.HandleFunc("GET /my/{bid}/photos/{aid}/{file}", h.photoFile)
	m.HandleFunc("POST /my/{bid}/subscribe", h.subscribe)
	m.HandleFunc("GET /my/{bid}/status", h.showStatus)
	m.HandleFunc("GET /my/{bid}/unbind", h.showUnbind)
	m.HandleFunc("POST /my/{bid}/unbind", h.unbind)

	m.HandleFunc("GET /notices", h.showNotices)
	m.HandleFunc("GET /me/data", h.showMyData)
	m.HandleFunc("POST /me/data/delete", h.deleteMyData)
	m.HandleFunc("/", h.notFound)
}
