package api

import (
	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
)

// route is one endpoint: method, gin path, the permission it needs ("" for
// the unauthenticated health endpoints) and its handler.
type route struct {
	method  string
	path    string
	perm    triage.Permission
	handler gin.HandlerFunc
}

// routes is every endpoint of the service, in one table. The OpenAPI
// document (openapi.json) lists exactly these; a test keeps them equal.
func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", "", s.handleHealthz},
		{"GET", "/readyz", "", s.handleReadyz},
		{"GET", "/metrics", triage.PermAudit, s.handleMetrics},
		{"GET", "/api/v1/openapi.json", triage.PermAnyRole, s.handleOpenAPI},
		{"GET", "/api/v1/me", triage.PermAnyRole, s.handleMe},

		{"GET", "/api/v1/cases", triage.PermRead, s.handleListCases},
		{"GET", "/api/v1/cases/:case", triage.PermRead, s.handleGetCase},
		{"PUT", "/api/v1/cases/:case", triage.PermUpload, s.handlePutCase},
		{"GET", "/api/v1/cases/:case/exhibits", triage.PermRead, s.handleListExhibits},
		{"GET", "/api/v1/cases/:case/exhibits/:exhibit", triage.PermRead, s.handleGetExhibit},
		{"PUT", "/api/v1/cases/:case/exhibits/:exhibit", triage.PermUpload, s.handlePutExhibit},
		{"GET", "/api/v1/cases/:case/exhibits/:exhibit/status", triage.PermRead, s.handleExhibitStatus},
		{"GET", "/api/v1/cases/:case/exhibits/:exhibit/items", triage.PermRead, s.handleListItems},
		{"PUT", "/api/v1/cases/:case/exhibits/:exhibit/items", triage.PermUpload, s.handlePutItem},
		{"POST", "/api/v1/cases/:case/exhibits/:exhibit/items", triage.PermUpload, s.handlePostItems},
		{"GET", "/api/v1/cases/:case/exhibits/:exhibit/report", triage.PermExport, s.handleExhibitReport},

		{"GET", "/api/v1/items/:id", triage.PermRead, s.handleGetItem},
		{"GET", "/api/v1/items/:id/content", triage.PermMedia, s.handleItemContent},
		{"GET", "/api/v1/items/:id/thumbnail", triage.PermMedia, s.handleItemThumbnail},
		{"GET", "/api/v1/items/:id/preview", triage.PermMedia, s.handleItemPreview},
		{"HEAD", "/api/v1/evidence/:sha256", triage.PermRead, s.handleEvidenceLookup},
		{"GET", "/api/v1/evidence/:sha256", triage.PermRead, s.handleEvidenceLookup},

		{"GET", "/api/v1/hashsets", triage.PermRead, s.handleListSets},
		{"GET", "/api/v1/hashsets/:name", triage.PermRead, s.handleGetSet},
		{"PUT", "/api/v1/hashsets/:name", triage.PermSets, s.handlePutSet},
		{"PATCH", "/api/v1/hashsets/:name", triage.PermSets, s.handlePatchSet},
		{"POST", "/api/v1/hashsets/:name/entries", triage.PermSets, s.handleAddSetEntries},
		{"GET", "/api/v1/hashsets/:name/export", triage.PermExport, s.handleExportSet},

		{"GET", "/api/v1/users", triage.PermAdmin, s.handleListUsers},
		{"POST", "/api/v1/users", triage.PermAdmin, s.handleCreateUser},
		{"POST", "/api/v1/users/:name/tokens", triage.PermAdmin, s.handleCreateToken},
		{"DELETE", "/api/v1/tokens/:id", triage.PermAdmin, s.handleRevokeToken},
		{"GET", "/api/v1/audit", triage.PermAudit, s.handleListAudit},

		// The review queue and the web UI (issue 6).
		{"GET", "/", "", s.handleRoot},
		{"GET", "/ui/*path", "", s.handleUI},
		{"POST", "/api/v1/login", "", s.handleLogin},
		{"POST", "/api/v1/logout", triage.PermAnyRole, s.handleLogout},
		{"GET", "/api/v1/session", triage.PermAnyRole, s.handleSession},
		{"GET", "/api/v1/me/settings", triage.PermAnyRole, s.handleGetSettings},
		{"PUT", "/api/v1/me/settings", triage.PermAnyRole, s.handlePutSettings},
		{"GET", "/api/v1/me/exposure", triage.PermAnyRole, s.handleGetExposure},
		{"POST", "/api/v1/me/exposure", triage.PermMedia, s.handleAddExposure},
		{"POST", "/api/v1/me/exposure/break", triage.PermAnyRole, s.handleTakeBreak},
		{"GET", "/api/v1/cases/:case/members", triage.PermAdmin, s.handleCaseMembers},
		{"PUT", "/api/v1/cases/:case/members/:user", triage.PermAdmin, s.handlePutCaseMember},
		{"DELETE", "/api/v1/cases/:case/members/:user", triage.PermAdmin, s.handleDeleteCaseMember},
		{"GET", "/api/v1/cases/:case/review/export", triage.PermExport, s.handleReviewExport},
		{"GET", "/api/v1/review/config", triage.PermReview, s.handleReviewConfig},
		{"GET", "/api/v1/review/lanes", triage.PermReview, s.handleReviewLanes},
		{"GET", "/api/v1/review/queue", triage.PermReview, s.handleReviewQueue},
		{"GET", "/api/v1/review/tiles", triage.PermReview, s.handleReviewTiles},
		{"GET", "/api/v1/review/groups/:id", triage.PermReview, s.handleReviewGroup},
		{"POST", "/api/v1/review/groups/:id/claim", triage.PermReview, s.handleClaimGroup},
		{"POST", "/api/v1/review/groups/:id/heartbeat", triage.PermReview, s.handleHeartbeat},
		{"POST", "/api/v1/review/groups/:id/release", triage.PermReview, s.handleReleaseGroup},
		{"POST", "/api/v1/review/groups/:id/decision", triage.PermReview, s.handleDecideGroup},
		{"POST", "/api/v1/review/groups/:id/undo", triage.PermReview, s.handleUndo},
		{"GET", "/api/v1/review/items/:id", triage.PermReview, s.handleReviewItem},
		{"POST", "/api/v1/review/items/:id/decision", triage.PermReview, s.handleDecideItem},
		{"GET", "/api/v1/review/members/:id/votes", triage.PermAdjudicate, s.handleMemberVotes},
		{"POST", "/api/v1/review/members/:id/overturn", triage.PermAdjudicate, s.handleOverturn},
		{"GET", "/api/v1/review/localset", triage.PermReview, s.handleLocalSet},
	}
}
