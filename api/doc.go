// Package api is the lab service's HTTP interface: the gin server, the route
// table, handlers, authentication middleware and the embedded review UI.
// Gin stays inside this package; handlers pass the request's context to
// package triage.
//
// Every route is one row of the table in routes.go: method, path, the
// permission a role needs, and its scope, the case rule that authorize
// (access.go) enforces before the handler runs. A new route needs both;
// cmd/winnow's TestAuthorizationMatrix then calls it as every role, member
// and non-member of the case, and fails if the answers differ from what
// the row declares, or if the row is missing.
package api
