// Package xiaoxiang is the domain of the photo-collection platform: the types every
// other package talks about (schools, tasks, rosters, accounts, bindings, orders,
// photo attempts, submissions, staff, notifications, audit entries), their statuses
// and the pure rules that move them from one status to the next. It imports only the
// standard library and does no I/O.
//
// The student's path (see ../shared/docs/product.md, "The student flow"):
//
//	Account --links--> RosterEntry (of one Task)  = Binding
//	Binding --pays--> Order (created → paid)
//	Binding --shoots--> Attempt (uploaded, checked; standardized at most
//	                    Task.DailyStandardizeLimit times per Asia/Shanghai day)
//	Attempt --submits--> Submission (uploaded → pending → approved | rejected → delivered)
//
// Rules live as methods here (CanTransition, Window checks, quota days); storage lives in
// internal/sqldb; use cases that combine them live in internal/core.
package xiaoxiang
