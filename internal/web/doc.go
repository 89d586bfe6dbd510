// Package web is the HTML plumbing shared by every surface (student, school, review,
// ops) and the JSON API: the template renderer (html/template + embed, parsed at
// startup), the layout and the one CSS file, static assets under content-hash URLs,
// middleware (request id, recover, security headers, access log without personal
// data), signed session cookies, CSRF protection, and the one table that maps
// xiaoxiang error codes to HTTP status codes.
package web
