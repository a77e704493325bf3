// Package api is the lab service's HTTP interface: the gin server, the route
// table, handlers, authentication middleware and the embedded review UI.
// Gin stays inside this package; handlers pass the request's context to
// package triage.
package api
