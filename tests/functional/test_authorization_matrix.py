"""The authorization matrix (SPEC §4, §10; issue 11): every role, an outsider and an
anonymous caller against every API path and every page, the expected answers in ONE table.

A NEW ENDPOINT MUST BE ADDED TO `EXPECTED`: `test_the_table_lists_every_route` fails for a
route the table does not list (and for a row whose route is gone). When a row disagrees,
the failure prints the answers as table rows, to be checked against SPEC §4 and copied.

How the requests are made:
- One small bureau per role (built through the real services), so that path parameters
  are real ids: `PARAMS` names the object each path parameter takes. The leader heads the
  station (scope: the station and its team); the outsider is a leader of the traffic
  department, who sees nothing of the station; staff is the officer of the station, the
  interviewee of the talk and recipient of the notification; the discipline member and
  the secretary, HR and the admin have no seat in anything.
- API: a Bearer token; writes send `{}` (an empty or invalid body), so that a caller with
  the right gets 422 and one without it 403, or 404 for an object outside their scope:
  permission before validation. Pages: a logged-in browser; POSTs send the CSRF token and
  an empty form. Anonymous: the API answers 401, pages redirect to the login page.
- Requests run in a fixed order (reads, then writes, then deletes, logout last), so that
  the few writes that succeed (a signature, a submission) leave the same state every run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories

#: The table's columns, in order.
ROLES = (
    "admin",
    "discipline_secretary",
    "discipline_member",
    "hr",
    "leader",
    "staff",
    "outsider",
    "anonymous",
)

# fmt: off
#: "METHOD rule" -> the status each column gets, in the order of ROLES. 401: no credentials
#: (API); 302 for anonymous: to the login page; 403: the role lacks the grant; 404: outside
#: the caller's scope (or not theirs); 422: the right is there and the empty body is judged.
EXPECTED: dict[str, str] = {
    #                                                          adm sec mem hr  lea sta out ano
    "GET /":                                                  "200 200 200 200 200 200 200 302",
    "GET /account/password":                                  "200 200 200 200 200 200 200 302",
    "POST /account/password":                                 "422 422 422 422 422 422 422 302",
    "GET /admin/audit":                                       "200 200 403 403 403 403 403 302",
    "GET /admin/audit/<int:entry_id>":                        "200 200 403 403 403 403 403 302",
    "GET /admin/audit/verify":                                "200 200 403 403 403 403 403 302",
    "GET /admin/calendar":                                    "200 403 403 403 403 403 403 302",
    "POST /admin/calendar/days/<day>":                        "422 403 403 403 403 403 403 302",
    "POST /admin/calendar/days/<day>/reset":                  "302 403 403 403 403 403 403 302",
    "POST /admin/calendar/sync":                              "302 403 403 403 403 403 403 302",
    "GET /admin/calendar/notice":                             "200 403 403 403 403 403 403 302",
    "POST /admin/calendar/notice":                            "422 403 403 403 403 403 403 302",
    "POST /admin/calendar/notice/apply":                      "422 403 403 403 403 403 403 302",
    "GET /admin/deliveries/":                                 "200 403 403 403 403 403 403 302",
    "POST /admin/deliveries/<int:message_id>/retry":          "302 403 403 403 403 403 403 302",
    "GET /admin/deliveries/retry-failed":                     "200 403 403 403 403 403 403 302",
    "POST /admin/deliveries/retry-failed":                    "302 403 403 403 403 403 403 302",
    "GET /admin/reminders/":                                  "200 200 403 403 403 403 403 302",
    "POST /admin/reminders/":                                 "422 422 403 403 403 403 403 302",
    "GET /admin/role-grants/":                                "403 200 403 403 403 403 403 302",
    "POST /admin/role-grants/<int:grant_id>/confirm":         "403 302 403 403 403 403 403 302",
    "POST /admin/role-grants/<int:grant_id>/reject":          "403 409 403 403 403 403 403 302",
    "GET /admin/users/":                                      "200 403 403 403 403 403 403 302",
    "GET /admin/users/<int:user_id>/edit":                    "200 403 403 403 403 403 403 302",
    "POST /admin/users/<int:user_id>/edit":                   "422 403 403 403 403 403 403 302",
    "POST /admin/users/grants/<int:grant_id>/withdraw":       "302 403 403 403 403 403 403 302",
    "GET /admin/users/new":                                   "200 403 403 403 403 403 403 302",
    "POST /admin/users/new":                                  "422 403 403 403 403 403 403 302",
    "GET /api/v1/assignments":                                "200 200 200 200 200 200 200 401",
    "POST /api/v1/assignments":                               "422 403 403 422 403 403 403 401",
    "DELETE /api/v1/assignments/<int:assignment_id>":         "204 403 403 204 403 403 404 401",
    "GET /api/v1/assignments/<int:assignment_id>":            "200 200 200 200 200 200 404 401",
    "PATCH /api/v1/assignments/<int:assignment_id>":          "422 403 403 422 403 403 404 401",
    "GET /api/v1/audit":                                      "200 200 403 403 403 403 403 401",
    "GET /api/v1/audit/verify":                               "200 200 403 403 403 403 403 401",
    "GET /api/v1/calendar/days":                              "200 200 200 200 200 200 200 401",
    "PUT /api/v1/calendar/days/<string:day>":                 "422 403 403 403 403 403 403 401",
    "POST /api/v1/calendar/notices":                          "422 403 403 403 403 403 403 401",
    "GET /api/v1/docs":                                       "200 200 200 200 200 200 200 200",
    "GET /api/v1/docs/static/<path:filename>":                "200 200 200 200 200 200 200 200",
    "GET /api/v1/exports/roster.xlsx":                        "200 403 403 200 403 403 403 401",
    # Rectification (SPEC §14): the leader is the finding's responsible leader and heads its
    # lead unit; staff owns its measure; the outsider, admin and HR see nothing of it.
    "GET /api/v1/inspections":                                "403 200 200 403 200 200 200 401",
    "POST /api/v1/inspections":                               "403 422 422 403 403 403 403 401",
    "GET /api/v1/inspections/<int:inspection_id>":            "404 200 200 404 200 200 404 401",
    "PATCH /api/v1/inspections/<int:inspection_id>":          "404 422 422 404 403 403 404 401",
    "GET /api/v1/inspections/<int:inspection_id>/summary":    "404 200 200 404 403 403 404 401",
    "GET /api/v1/inspections/<int:inspection_id>/findings":   "404 200 200 404 200 200 404 401",
    "POST /api/v1/inspections/<int:inspection_id>/findings":  "404 422 422 404 403 403 404 401",
    "GET /api/v1/findings/<int:finding_id>":                  "404 200 200 404 200 200 404 401",
    "PATCH /api/v1/findings/<int:finding_id>":                "404 422 422 404 403 403 404 401",
    "POST /api/v1/findings/<int:finding_id>/complete":        "404 422 422 404 403 403 404 401",
    "POST /api/v1/findings/<int:finding_id>/measures":        "404 422 422 404 403 403 404 401",
    "POST /api/v1/findings/<int:finding_id>/notes":           "404 422 422 404 422 403 404 401",
    "POST /api/v1/findings/<int:finding_id>/request-completion":
                                                              "404 422 422 404 422 403 404 401",
    "POST /api/v1/findings/<int:finding_id>/return":          "404 422 422 404 403 403 404 401",
    "GET /api/v1/rectification-measures/<int:measure_id>":    "404 200 200 404 200 200 404 401",
    "PATCH /api/v1/rectification-measures/<int:measure_id>":  "404 422 422 404 422 422 404 401",
    "DELETE /api/v1/rectification-measures/<int:measure_id>": "404 204 204 404 403 403 404 401",
    "POST /api/v1/rectification-measures/<int:measure_id>/done":
                                                              "404 200 200 404 200 200 404 401",
    "POST /api/v1/rectification-measures/<int:measure_id>/reopen":
                                                              "404 200 200 404 200 200 404 401",
    "POST /api/v1/rectification-measures/<int:measure_id>/evidence":
                                                              "404 422 422 404 422 422 404 401",
    "GET /api/v1/rectification-measures/<int:measure_id>/evidence/<int:evidence_id>":
                                                              "404 200 200 404 200 200 404 401",
    "DELETE /api/v1/rectification-measures/<int:measure_id>/evidence/<int:evidence_id>":
                                                              "404 204 204 404 204 204 404 401",
    "POST /api/v1/imports/rectification-ledger":              "403 422 422 403 403 403 403 401",
    "POST /api/v1/imports/risk-inventory":                    "403 422 422 403 422 403 422 401",
    "POST /api/v1/imports/roster":                            "422 403 403 422 403 403 403 401",
    "GET /api/v1/notifications":                              "200 200 200 200 200 200 200 401",
    "POST /api/v1/notifications/<int:notification_id>/read":  "404 404 404 404 404 200 404 401",
    "GET /api/v1/obligations":                                "403 200 200 403 200 403 200 401",
    "GET /api/v1/obligations/rules":                          "200 200 200 403 200 403 200 401",
    "PUT /api/v1/obligations/rules":                          "422 422 403 403 403 403 403 401",
    "GET /api/v1/obligations/summary":                        "403 200 200 403 200 403 200 401",
    "GET /api/v1/obligations/waivers":                        "403 200 200 403 403 403 403 401",
    "POST /api/v1/obligations/waivers":                       "403 422 422 403 403 403 403 401",
    "GET /api/v1/openapi.json":                               "200 200 200 200 200 200 200 200",
    "GET /api/v1/org-units":                                  "200 200 200 200 200 200 200 401",
    "POST /api/v1/org-units":                                 "422 403 403 422 403 403 403 401",
    "DELETE /api/v1/org-units/<int:unit_id>":                 "409 403 403 409 403 404 404 401",
    "GET /api/v1/org-units/<int:unit_id>":                    "200 200 200 200 200 404 404 401",
    "PATCH /api/v1/org-units/<int:unit_id>":                  "422 403 403 422 403 404 404 401",
    "GET /api/v1/people":                                     "200 200 200 200 200 200 200 401",
    "POST /api/v1/people":                                    "422 403 403 422 403 403 403 401",
    "GET /api/v1/people/<int:person_id>":                     "200 200 200 200 200 404 404 401",
    "PATCH /api/v1/people/<int:person_id>":                   "422 403 403 422 403 404 404 401",
    "GET /api/v1/posts":                                      "200 200 200 200 200 200 200 401",
    "POST /api/v1/posts":                                     "422 403 403 422 403 403 403 401",
    "GET /api/v1/posts/<int:post_id>":                        "200 200 200 200 200 404 404 401",
    "PATCH /api/v1/posts/<int:post_id>":                      "422 403 403 422 403 404 404 401",
    "GET /api/v1/reminders/preview":                          "200 200 200 200 403 403 403 401",
    "GET /api/v1/reminders/settings":                         "200 200 403 403 403 403 403 401",
    "PUT /api/v1/reminders/settings":                         "422 422 403 403 403 403 403 401",
    "GET /api/v1/reports/rectification-ledger.xlsx":          "403 200 200 403 403 403 403 401",
    "GET /api/v1/reports/rectification-notice.docx":          "403 200 200 403 403 403 403 401",
    "GET /api/v1/reports/rectification-notice.pdf":           "403 200 200 403 403 403 403 401",
    "GET /api/v1/reports/risk-inventory.pdf":                 "403 200 200 403 200 403 404 401",
    "GET /api/v1/reports/risk-inventory.xlsx":                "403 200 200 403 200 403 404 401",
    "GET /api/v1/reports/rotation-candidates.pdf":            "200 200 200 200 403 403 403 401",
    "GET /api/v1/reports/rotation-candidates.xlsx":           "200 200 200 200 403 403 403 401",
    "GET /api/v1/reports/rotation-completion.pdf":            "200 200 200 200 403 403 403 401",
    "GET /api/v1/reports/rotation-completion.xlsx":           "200 200 200 200 403 403 403 401",
    "GET /api/v1/reports/talk-completion.pdf":                "403 200 200 403 200 403 200 401",
    "GET /api/v1/reports/talk-completion.xlsx":               "403 200 200 403 200 403 200 401",
    "GET /api/v1/report-jobs/<int:job_id>":                   "404 200 404 404 404 403 404 401",
    "GET /api/v1/report-jobs/<int:job_id>/file":              "404 200 404 404 404 403 404 401",
    "POST /api/v1/report-jobs":                               "422 422 422 422 422 403 422 401",
    "GET /api/v1/risk-campaigns":                             "403 200 200 403 200 403 200 401",
    "POST /api/v1/risk-campaigns":                            "403 422 422 403 403 403 403 401",
    "GET /api/v1/risk-campaigns/<int:campaign_id>":           "403 200 200 403 200 403 200 401",
    "POST /api/v1/risk-campaigns/<int:campaign_id>/close":    "403 200 200 403 403 403 403 401",
    "GET /api/v1/risk-campaigns/<int:campaign_id>/units":     "403 200 200 403 200 403 200 401",
    "GET /api/v1/risk-points":                                "403 200 200 403 200 403 200 401",
    "POST /api/v1/risk-points":                               "403 422 422 403 422 403 422 401",
    "GET /api/v1/risk-points/<int:point_id>":                 "403 200 200 403 200 403 404 401",
    "PATCH /api/v1/risk-points/<int:point_id>":               "403 422 422 403 422 403 404 401",
    "POST /api/v1/risk-points/<int:point_id>/approve":        "403 409 409 403 403 403 404 401",
    "POST /api/v1/risk-points/<int:point_id>/retire":         "403 200 200 403 403 403 404 401",
    "POST /api/v1/risk-points/<int:point_id>/return":         "403 422 422 403 403 403 404 401",
    "POST /api/v1/risk-points/<int:point_id>/submit":         "403 409 409 403 200 403 404 401",
    "GET /api/v1/risks/settings":                             "200 200 200 403 200 403 200 401",
    "PUT /api/v1/risks/settings":                             "422 403 403 403 403 403 403 401",
    "GET /api/v1/rotation/completion":                        "200 200 200 200 403 403 403 401",
    "GET /api/v1/rotation/deferrals":                         "200 200 200 200 403 403 403 401",
    "POST /api/v1/rotation/deferrals":                        "403 403 403 422 403 403 403 401",
    "DELETE /api/v1/rotation/deferrals/<int:deferral_id>":    "403 403 403 204 403 403 403 401",
    "GET /api/v1/rotation/deferrals/<int:deferral_id>":       "200 200 200 200 403 403 403 401",
    "GET /api/v1/rotation/eligibility":                       "200 200 200 200 403 403 403 401",
    "GET /api/v1/rotation/holds":                             "403 200 200 403 403 403 403 401",
    "POST /api/v1/rotation/holds":                            "403 422 422 403 403 403 403 401",
    "DELETE /api/v1/rotation/holds/<int:hold_id>":            "403 204 204 403 403 403 403 401",
    "GET /api/v1/rotation/holds/<int:hold_id>":               "403 200 200 403 403 403 403 401",
    "GET /api/v1/rotation/plans":                             "200 200 200 200 403 403 403 401",
    "POST /api/v1/rotation/plans":                            "403 403 403 422 403 403 403 401",
    "DELETE /api/v1/rotation/plans/<int:plan_id>":            "403 403 403 204 403 403 403 401",
    "GET /api/v1/rotation/plans/<int:plan_id>":               "200 200 200 200 403 403 403 401",
    "PATCH /api/v1/rotation/plans/<int:plan_id>":             "403 403 403 422 403 403 403 401",
    "POST /api/v1/rotation/plans/<int:plan_id>/approve":      "403 422 403 403 403 403 403 401",
    "POST /api/v1/rotation/plans/<int:plan_id>/execute":      "403 403 403 409 403 403 403 401",
    "POST /api/v1/rotation/plans/<int:plan_id>/reject":       "403 422 403 403 403 403 403 401",
    "POST /api/v1/rotation/plans/<int:plan_id>/submit":       "403 403 403 422 403 403 403 401",
    "GET /api/v1/rotation/policy":                            "200 200 200 200 403 403 403 401",
    "PUT /api/v1/rotation/policy":                            "422 403 403 422 403 403 403 401",
    "POST /api/v1/rotation/policy/preview":                   "200 200 200 200 403 403 403 401",
    "GET /api/v1/talks":                                      "200 200 200 200 200 200 200 401",
    "POST /api/v1/talks":                                     "403 422 422 403 422 403 422 401",
    "GET /api/v1/talks/<int:talk_id>":                        "200 200 404 200 200 200 404 401",
    "PATCH /api/v1/talks/<int:talk_id>":                      "403 422 404 403 422 403 404 401",
    "POST /api/v1/talks/<int:talk_id>/attachments":           "403 422 404 403 422 403 404 401",
    "DELETE /api/v1/talks/<int:talk_id>/attachments/<int:attachment_id>":
                                                              "404 204 404 404 204 403 404 401",
    "GET /api/v1/talks/<int:talk_id>/attachments/<int:attachment_id>":
                                                              "404 200 404 404 200 200 404 401",
    "POST /api/v1/talks/<int:talk_id>/finalize":              "403 422 404 403 422 403 404 401",
    "GET /api/v1/talks/<int:talk_id>/record.pdf":             "404 200 404 404 200 200 404 401",
    "GET /api/v1/talks/<int:talk_id>/record.docx":            "404 200 404 404 200 200 404 401",
    "POST /api/v1/talks/<int:talk_id>/revise":                "403 409 404 403 409 403 404 401",
    "POST /api/v1/talks/<int:talk_id>/sign":                  "403 403 404 403 200 200 404 401",
    "GET /bootstrap/static/<path:filename>":                  "200 200 200 200 200 200 200 200",
    "GET /calendar/feed/<token>.ics":                         "404 404 404 404 404 404 404 404",
    "GET /favicon.ico":                                       "200 200 200 200 200 200 200 200",
    "GET /healthz":                                           "200 200 200 200 200 200 200 200",
    "GET /integrity/":                                        "403 200 200 403 403 403 403 302",
    "GET /integrity/<int:person_id>":                         "403 200 200 403 403 403 403 302",
    "GET /integrity/<int:person_id>.pdf":                     "403 200 200 403 403 403 403 302",
    "POST /integrity/<int:person_id>/notes":                  "403 422 422 403 403 403 403 302",
    "POST /integrity/<int:person_id>/notes/<int:note_id>/attachments":
                                                              "403 422 422 403 403 403 403 302",
    "GET /integrity/<int:person_id>/notes/<int:note_id>/attachments/<int:attachment_id>":
                                                              "403 200 200 403 403 403 403 302",
    "GET /lang/<code>":                                       "302 302 302 302 302 302 302 302",
    "GET /login":                                             "302 302 302 302 302 302 302 200",
    "POST /login":                                            "302 302 302 302 302 302 302 200",
    "POST /logout":                                           "302 302 302 302 302 302 302 302",
    "GET /notifications/":                                    "200 200 200 200 200 200 200 302",
    "GET /notifications/<int:notification_id>/open":          "404 404 404 404 404 302 404 302",
    "POST /notifications/<int:notification_id>/read":         "404 404 404 404 404 302 404 302",
    "GET /notifications/feed":                                "200 200 200 200 200 200 200 302",
    "POST /notifications/feed":                               "400 400 400 400 400 400 400 302",
    "POST /notifications/read-all":                           "302 302 302 302 302 302 302 302",
    "POST /notifications/groups/read":                        "400 400 400 400 400 400 400 302",
    "GET /obligations/":                                      "403 200 200 403 200 403 200 302",
    "GET /obligations/rules":                                 "200 200 403 403 403 403 403 302",
    "POST /obligations/rules":                                "422 422 403 403 403 403 403 302",
    "GET /obligations/waive":                                 "403 404 404 403 403 403 403 302",
    "POST /obligations/waive":                                "403 404 404 403 403 403 403 302",
    "GET /org/assignments":                                   "200 200 200 200 200 403 200 302",
    "POST /org/assignments/<int:assignment_id>/delete":       "404 403 403 404 403 403 403 302",
    "GET /org/assignments/<int:assignment_id>/edit":          "200 403 403 200 403 403 403 302",
    "POST /org/assignments/<int:assignment_id>/edit":         "422 403 403 422 403 403 403 302",
    "GET /org/assignments/<int:assignment_id>/end":           "200 403 403 200 403 403 403 302",
    "POST /org/assignments/<int:assignment_id>/end":          "422 403 403 422 403 403 403 302",
    "GET /org/assignments/new":                               "200 403 403 200 403 403 403 302",
    "POST /org/assignments/new":                              "422 403 403 422 403 403 403 302",
    "GET /org/people":                                        "200 200 200 200 200 403 200 302",
    "GET /org/people/<int:person_id>":                        "200 200 200 200 200 403 404 302",
    "GET /org/people/<int:person_id>/edit":                   "200 403 403 200 403 403 403 302",
    "POST /org/people/<int:person_id>/edit":                  "422 403 403 422 403 403 403 302",
    "GET /org/people/new":                                    "200 403 403 200 403 403 403 302",
    "POST /org/people/new":                                   "422 403 403 422 403 403 403 302",
    "GET /org/posts":                                         "200 200 200 200 200 403 200 302",
    "GET /org/posts/<int:post_id>":                           "200 200 200 200 200 403 404 302",
    "GET /org/posts/<int:post_id>/edit":                      "200 403 403 200 403 403 403 302",
    "POST /org/posts/<int:post_id>/edit":                     "422 403 403 422 403 403 403 302",
    "GET /org/posts/new":                                     "200 403 403 200 403 403 403 302",
    "POST /org/posts/new":                                    "422 403 403 422 403 403 403 302",
    "GET /org/roster":                                        "200 403 403 200 403 403 403 302",
    "POST /org/roster":                                       "200 403 403 200 403 403 403 302",
    "GET /org/roster/export.xlsx":                            "200 403 403 200 403 403 403 302",
    "GET /org/roster/template.xlsx":                          "200 403 403 200 403 403 403 302",
    "GET /org/units":                                         "200 200 200 200 200 403 200 302",
    "GET /org/units/<int:unit_id>":                           "200 200 200 200 200 403 404 302",
    "POST /org/units/<int:unit_id>/delete":                   "409 403 403 409 403 403 403 302",
    "GET /org/units/<int:unit_id>/edit":                      "200 403 403 200 403 403 403 302",
    "POST /org/units/<int:unit_id>/edit":                     "422 403 403 422 403 403 403 302",
    "GET /org/units/new":                                     "200 403 403 200 403 403 403 302",
    "POST /org/units/new":                                    "422 403 403 422 403 403 403 302",
    "GET /profile":                                           "200 200 200 200 200 200 200 302",
    "POST /profile":                                          "422 422 422 422 422 422 422 302",
    "POST /profile/tokens/<int:token_id>/revoke":             "404 404 404 404 404 302 404 302",
    "GET /rectification/":                                    "403 200 200 403 200 200 200 302",
    "GET /rectification/mine":                                "403 200 200 403 200 200 200 302",
    "GET /rectification/sign-off":                            "403 200 200 403 403 403 403 302",
    "GET /rectification/new":                                 "403 200 200 403 403 403 403 302",
    "POST /rectification/new":                                "403 422 422 403 403 403 403 302",
    "GET /rectification/<int:inspection_id>":                 "403 200 200 403 200 200 404 302",
    "GET /rectification/<int:inspection_id>/edit":            "403 200 200 403 403 403 404 302",
    "POST /rectification/<int:inspection_id>/edit":           "403 303 303 403 403 403 404 302",
    "POST /rectification/<int:inspection_id>/status":         "403 422 422 403 403 403 404 302",
    "GET /rectification/<int:inspection_id>/findings/new":    "403 200 200 403 403 403 404 302",
    "POST /rectification/<int:inspection_id>/findings/new":   "403 422 422 403 403 403 404 302",
    "GET /rectification/findings/<int:finding_id>":           "403 200 200 403 200 200 404 302",
    "GET /rectification/findings/<int:finding_id>/edit":      "403 200 200 403 403 403 404 302",
    "POST /rectification/findings/<int:finding_id>/edit":     "403 303 303 403 403 403 404 302",
    "POST /rectification/findings/<int:finding_id>/request-completion": "403 422 422 403 422 403 404 302",  # noqa: E501
    "POST /rectification/findings/<int:finding_id>/complete": "403 409 409 403 403 403 404 302",
    "POST /rectification/findings/<int:finding_id>/return":   "403 409 409 403 403 403 404 302",
    "POST /rectification/findings/<int:finding_id>/notes":    "403 422 422 403 422 403 404 302",
    "POST /rectification/findings/<int:finding_id>/measures": "403 422 422 403 403 403 404 302",
    "GET /rectification/measures/<int:measure_id>/edit":      "403 200 200 403 403 403 404 302",
    "POST /rectification/measures/<int:measure_id>/edit":     "403 303 303 403 403 403 404 302",
    "POST /rectification/measures/<int:measure_id>/delete":   "403 303 303 403 403 403 404 302",
    "POST /rectification/measures/<int:measure_id>/done":     "403 303 303 403 303 303 404 302",
    "POST /rectification/measures/<int:measure_id>/reopen":   "403 303 303 403 303 303 404 302",
    "POST /rectification/measures/<int:measure_id>/evidence/file": "403 422 422 403 422 422 404 302",  # noqa: E501
    "POST /rectification/measures/<int:measure_id>/evidence/link": "403 422 422 403 422 422 404 302",  # noqa: E501
    "GET /rectification/measures/<int:measure_id>/evidence/<int:evidence_id>": "403 200 200 403 200 200 404 302",  # noqa: E501
    "POST /rectification/measures/<int:measure_id>/evidence/<int:evidence_id>/remove": "403 303 303 403 303 303 404 302",  # noqa: E501
    "GET /reports":                                           "200 200 200 200 200 403 200 302",
    "GET /reports/jobs":                                      "200 200 200 200 200 403 200 302",
    "GET /reports/jobs/<int:job_id>":                         "404 200 404 404 404 403 404 302",
    "GET /reports/jobs/<int:job_id>/file":                    "404 200 404 404 404 403 404 302",
    "GET /reports/jobs/<int:job_id>/status":                  "404 200 404 404 404 403 404 302",
    "GET /reports/risk-inventory":                            "403 303 303 403 303 403 422 302",
    "POST /reports/risk-inventory":                           "403 422 422 403 422 403 422 302",
    "GET /reports/rotation-candidates":                       "303 303 303 303 403 403 403 302",
    "POST /reports/rotation-candidates":                      "303 303 303 303 403 403 403 302",
    "GET /reports/rotation-completion":                       "303 303 303 303 403 403 403 302",
    "POST /reports/rotation-completion":                      "422 422 422 422 403 403 403 302",
    "GET /reports/talk-completion":                           "403 303 303 403 303 403 303 302",
    "POST /reports/talk-completion":                          "403 422 422 403 422 403 422 302",
    "GET /risks/":                                            "403 200 200 403 200 403 200 302",
    "GET /risks/campaigns":                                   "403 200 200 403 200 403 200 302",
    "POST /risks/campaigns":                                  "403 422 422 403 403 403 403 302",
    "GET /risks/campaigns/<int:campaign_id>":                 "403 200 200 403 200 403 200 302",
    "POST /risks/campaigns/<int:campaign_id>/close":          "403 302 302 403 403 403 403 302",
    "GET /risks/heat-map":                                    "403 200 200 403 200 403 200 302",
    "GET /risks/import":                                      "403 200 200 403 200 403 200 302",
    "POST /risks/import":                                     "403 200 200 403 200 403 200 302",
    "GET /risks/import/template.xlsx":                        "403 200 200 403 200 403 200 302",
    "GET /risks/measures-past-due":                           "403 200 200 403 200 403 200 302",
    "GET /risks/points/<int:point_id>":                       "403 200 200 403 200 403 404 302",
    "POST /risks/points/<int:point_id>/approve":              "403 409 409 403 403 403 403 302",
    "GET /risks/points/<int:point_id>/edit":                  "403 200 200 403 200 403 404 302",
    "POST /risks/points/<int:point_id>/edit":                 "403 409 409 403 409 403 404 302",
    "POST /risks/points/<int:point_id>/retire":               "403 409 409 403 403 403 403 302",
    "POST /risks/points/<int:point_id>/return":               "403 422 422 403 403 403 403 302",
    "POST /risks/points/<int:point_id>/submit":               "403 409 409 403 409 403 404 302",
    "GET /risks/points/new":                                  "403 200 200 403 200 403 200 302",
    "POST /risks/points/new":                                 "403 200 200 403 200 403 200 302",
    "GET /risks/settings":                                    "200 403 403 403 403 403 403 302",
    "POST /risks/settings":                                   "422 403 403 403 403 403 403 302",
    "GET /risks/uncovered-posts":                             "403 200 200 403 200 403 200 302",
    "GET /rotation/":                                         "200 200 200 200 403 403 403 302",
    "POST /rotation/":                                        "403 403 403 422 403 403 403 302",
    "GET /rotation/completion/":                              "200 200 200 200 403 403 403 302",
    "GET /rotation/deferrals":                                "200 200 200 200 403 403 403 302",
    "GET /rotation/deferrals/<int:deferral_id>/revoke":       "403 403 403 200 403 403 403 302",
    "POST /rotation/deferrals/<int:deferral_id>/revoke":      "403 403 403 409 403 403 403 302",
    "GET /rotation/deferrals/new":                            "403 403 403 200 403 403 403 302",
    "POST /rotation/deferrals/new":                           "403 403 403 422 403 403 403 302",
    "GET /rotation/holds":                                    "403 200 200 403 403 403 403 302",
    "GET /rotation/holds/<int:hold_id>/release":              "403 200 200 403 403 403 403 302",
    "POST /rotation/holds/<int:hold_id>/release":             "403 409 409 403 403 403 403 302",
    "GET /rotation/holds/new":                                "403 200 200 403 403 403 403 302",
    "POST /rotation/holds/new":                               "403 422 422 403 403 403 403 302",
    "GET /rotation/people/<int:person_id>":                   "200 200 200 200 403 403 403 302",
    "GET /rotation/plans":                                    "200 200 200 200 403 403 403 302",
    "POST /rotation/plans":                                   "403 403 403 422 403 403 403 302",
    "GET /rotation/plans/<int:plan_id>":                      "200 200 200 200 403 403 403 302",
    "POST /rotation/plans/<int:plan_id>":                     "403 403 403 422 403 403 403 302",
    "POST /rotation/plans/<int:plan_id>/add":                 "403 403 403 422 403 403 403 302",
    "POST /rotation/plans/<int:plan_id>/approve":             "403 422 403 403 403 403 403 302",
    "GET /rotation/plans/<int:plan_id>/delete":               "403 403 403 200 403 403 403 302",
    "POST /rotation/plans/<int:plan_id>/delete":              "403 403 403 404 403 403 403 302",
    "GET /rotation/plans/<int:plan_id>/execute":              "403 403 403 409 403 403 403 302",
    "POST /rotation/plans/<int:plan_id>/execute":             "403 403 403 409 403 403 403 302",
    "POST /rotation/plans/<int:plan_id>/reject":              "403 422 403 403 403 403 403 302",
    "POST /rotation/plans/<int:plan_id>/remove":              "403 403 403 404 403 403 403 302",
    "GET /rotation/policy":                                   "200 200 200 200 403 403 403 302",
    "POST /rotation/policy":                                  "422 403 403 422 403 403 403 302",
    "POST /rotation/policy/preview":                          "422 422 422 422 403 403 403 302",
    "GET /rotation/posts.json":                               "403 403 403 200 403 403 403 302",
    "GET /static/<path:filename>":                            "200 200 200 200 200 200 200 200",
    "GET /talks/":                                            "200 200 200 200 200 200 200 302",
    "GET /talks/<int:talk_id>":                               "200 200 404 200 200 200 404 302",
    "POST /talks/<int:talk_id>/attachments":                  "403 422 404 403 422 403 404 302",
    "GET /talks/<int:talk_id>/attachments/<int:attachment_id>/remove":
                                                              "404 200 404 404 200 403 404 302",
    "POST /talks/<int:talk_id>/attachments/<int:attachment_id>/remove":
                                                              "404 302 404 404 302 403 404 302",
    "GET /talks/<int:talk_id>/delete":                        "403 200 404 403 403 403 404 302",
    "POST /talks/<int:talk_id>/delete":                       "403 302 404 403 403 403 404 302",
    "GET /talks/<int:talk_id>/edit":                          "403 200 404 403 200 403 404 302",
    "POST /talks/<int:talk_id>/edit":                         "403 422 404 403 422 403 404 302",
    "POST /talks/<int:talk_id>/finalize":                     "403 422 404 403 422 403 404 302",
    "POST /talks/<int:talk_id>/revise":                       "403 409 404 403 409 403 404 302",
    "POST /talks/<int:talk_id>/sign":                         "403 403 404 403 302 302 404 302",
    "GET /talks/mine":                                        "200 200 200 200 200 200 200 302",
    "GET /talks/new":                                         "403 200 200 403 200 403 200 302",
    "POST /talks/new":                                        "403 422 422 403 422 403 422 302",
    "GET /talks/people.json":                                 "403 200 200 403 200 403 200 302",
    "GET /talks/person/<int:person_id>":                      "200 200 200 200 200 404 404 302",
}
# fmt: on

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
FAKE_NOW = "2025-09-20T10:00:00+08:00"


def _routes(app) -> dict[str, object]:
    """Every "METHOD rule" the application answers (HEAD and OPTIONS aside)."""
    routes = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes[f"{method} {rule.rule}"] = rule
    return routes


def test_the_table_lists_every_route(app):
    routes = set(_routes(app))
    missing = sorted(routes - set(EXPECTED))
    gone = sorted(set(EXPECTED) - routes)
    assert not missing, "add these routes to EXPECTED:\n" + "\n".join(missing)
    assert not gone, "these rows name no route any more:\n" + "\n".join(gone)
    for key, row in EXPECTED.items():
        assert len(row.split()) == len(ROLES), key


# ------------------------------------------------------------------ the bureau


@pytest.fixture
def bureau(app, db, tmp_path, monkeypatch):
    """The objects every path parameter names (see the module docstring)."""
    from supervision.audit.models import AuditEntry
    from supervision.auth import grants
    from supervision.auth.models import ApiToken
    from supervision.auth.services import issue_token
    from supervision.integrity import services as integrity
    from supervision.reminders.models import MailMessage, Notification
    from supervision.risks import services as risks
    from supervision.rotation import services as rotation
    from supervision.talks import services as talks

    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", FAKE_NOW)
    # Documents are rendered to HTML as usual, but not laid out by WeasyPrint (a second per
    # PDF; what PDFs say is tested with the reports): here only who gets one matters.
    monkeypatch.setattr("supervision.common.pdf.html_to_pdf", lambda html, fetcher=None: PDF)
    s = db.session
    rows = factories.small_bureau(s)
    officer = factories.person(s, rows["station"], "张三")
    member = factories.person(s, rows["bureau"], "王委员")
    outsider = factories.person(s, rows["traffic"], "钱大队长", leadership="department_head")
    s.flush()
    rows["traffic"].head_person_id = outsider.id
    post = factories.post(s, rows["station"], "窗口", is_sensitive=True)
    assignment = factories.assign(s, officer, post, start=date(2015, 1, 1))
    talk = factories.draft_talk(
        s, officer, [rows["head"]], type="integrity_reminder", location="谈话室"
    )
    attachment = talks.add_attachment(s, talk, "other", "record.pdf", PDF)
    # A second one for the page that removes an attachment (the API's DELETE runs first).
    second_attachment = talks.add_attachment(s, talk, "other", "second.pdf", PDF + b"2")
    point = factories.risk_point(s, rows["station"], rows["head"])
    campaign = risks.open_campaign(
        s, {"name": "2025年度排查", "year": 2025, "deadline": date(2025, 12, 31)}
    )
    plan = factories.rotation_plan(s, [(officer, post)])  # before the hold and deferral
    deferral = rotation.create_deferral(
        s,
        {
            "person_id": officer.id,
            "reason": "重点工作",
            "meeting_date": date(2025, 9, 1),
            "minutes_no": "党委会〔2025〕9号",
            "expires_on": date(2026, 9, 1),
        },
        None,
    )
    hold = rotation.create_hold(s, {"person_id": officer.id, "reason": "核查中"}, None)
    note = integrity.create_note(
        s,
        rows["head"],
        {"kind": "other", "title": "函询", "body": "", "noted_on": date(2025, 9, 1)},
    )
    note_attachment = integrity.add_attachment(s, note, "reply.pdf", PDF)
    notification = Notification(
        recipient_id=officer.id,
        step="upcoming",
        object_type="obligation",
        object_ref="x",
        period="2025Q3",
        subject="提醒",
        body="正文",
        link="/talks/mine",
        on=datetime(2025, 9, 19, 1, tzinfo=UTC),
    )
    s.add(notification)
    message = MailMessage(recipient_id=officer.id, address="o@example.org", status="sent")
    s.add(message)
    users = {
        "admin": factories.user(s, "admin", ["admin"]),
        "discipline_secretary": factories.user(s, "secretary", ["discipline_secretary"]),
        "discipline_member": factories.user(s, "member", ["discipline_member"], person=member),
        "hr": factories.user(s, "hr", ["hr"]),
        "leader": factories.user(s, "leader", ["leader"], person=rows["head"]),
        "staff": factories.user(s, "staff", ["staff"], person=officer),
        "outsider": factories.user(s, "outsider", ["leader"], person=outsider),
    }
    s.flush()
    # A pending grant of a discipline role to the HR user, made by the admin.
    (change,) = grants.apply_roles(
        s, users["hr"], ["hr", "discipline_member"], acting_user=users["admin"]
    )
    issue_token(s, users["staff"], "matrix")
    rect = _rectification(s, rows, officer)
    report_job = _done_report_job(s, users["discipline_secretary"], rows["station"])
    s.commit()
    token_id = s.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == users["staff"].id))

    params = {
        "unit_id": rows["station"].id,
        "person_id": rows["head"].id,
        "post_id": post.id,
        "assignment_id": assignment.id,
        "talk_id": talk.id,
        "attachment_id": attachment.id,
        "point_id": point.id,
        "campaign_id": campaign.id,
        "deferral_id": deferral.id,
        "hold_id": hold.id,
        "plan_id": plan.id,
        "note_id": note.id,
        "notification_id": notification.id,
        "message_id": message.id,
        "entry_id": s.scalar(sa.select(sa.func.min(AuditEntry.id))),
        "user_id": users["staff"].id,
        "grant_id": change.grant_id,
        "token_id": token_id,
        "day": "2025-10-01",
        "code": "en",
        "token": "no-such-feed",
        "filename": "favicon.svg",
        "inspection_id": rect["inspection"].id,
        "finding_id": rect["finding"].id,
        "measure_id": rect["measure"].id,
        "evidence_id": rect["evidence"].id,
        "job_id": report_job.id,
    }
    special = {
        # The note's attachment, not the talk's: both are called attachment_id.
        "/integrity/<int:person_id>/notes/<int:note_id>/attachments/<int:attachment_id>": {
            "attachment_id": note_attachment.id
        },
        "/talks/<int:talk_id>/attachments/<int:attachment_id>/remove": {
            "attachment_id": second_attachment.id
        },
        "/bootstrap/static/<path:filename>": {"filename": "css/bootstrap.min.css"},
        # A measure of its own for the page that deletes one (the evidence removal runs after).
        "/rectification/measures/<int:measure_id>/delete": {"measure_id": rect["spare"].id},
        "/api/v1/docs/static/<path:filename>": {"filename": "swagger-ui.css"},
        # The API's DELETE of a measure takes a third one (it runs before the evidence routes).
        "/api/v1/rectification-measures/<int:measure_id>": {"measure_id": rect["api_spare"].id},
        "/rectification/measures/<int:measure_id>/evidence/<int:evidence_id>/remove": {
            "evidence_id": rect["second_evidence"].id
        },
    }
    return {"params": params, "special": special, "users": users}


def _rectification(s, rows, officer) -> dict:
    """An inspection of the bureau with one finding led by the station (the leader heads
    it): its measure, owned by the officer (staff), has a file of evidence; a second and a
    third measure for the page and the API that delete one. The outsider has no seat in it."""
    from supervision.rectification import evidence, services

    inspection = services.create_inspection(
        s,
        {
            "name": "第五轮巡察",
            "inspector": "第八巡察组",
            "org_unit_id": rows["bureau"].id,
            "feedback_on": date(2025, 6, 1),
            "leader_person_id": rows["chief"].id,
        },
    )
    finding = services.create_finding(
        s,
        inspection,
        {
            "category": "聚焦全面从严管党治警情况",
            "title": "强化保密工作",
            "responsible_leader_id": rows["chief"].id,
            "lead_unit_id": rows["station"].id,
        },
    )
    measure = services.create_measure(
        s, finding, {"description": "开展保密检查", "owner_person_id": officer.id}
    )
    spare = services.create_measure(
        s, finding, {"description": "组织保密培训", "owner_person_id": officer.id}
    )
    api_spare = services.create_measure(
        s, finding, {"description": "修订保密制度", "owner_person_id": officer.id}
    )
    item = evidence.add_file(s, measure, "检查记录.pdf", PDF)
    # The page that removes evidence runs after the API's DELETE of the first file.
    second = evidence.add_file(s, measure, "整改报告.pdf", PDF + b"2")
    return {
        "inspection": inspection,
        "finding": finding,
        "measure": measure,
        "spare": spare,
        "api_spare": api_spare,
        "evidence": item,
        "second_evidence": second,
    }


def _done_report_job(s, user, unit):
    """A finished report job of the secretary (its file in the store): hers alone."""
    from supervision.common import clock, storage
    from supervision.reports.models import ReportJob

    job = ReportJob(
        kind="risk-inventory",
        format="pdf",
        parameters=f'{{"org_unit_id": {unit.id}}}',
        requested_by_id=user.id,
        status="done",
        progress=100,
        stage="done",
        created_at=clock.now(),
        finished_at=clock.now(),
        expires_at=clock.now() + timedelta(days=7),
        sha256=storage.store(PDF),
        content_type="application/pdf",
        size=len(PDF),
        filename="排查清单.pdf",
        fallback_filename="risk-inventory.pdf",
    )
    s.add(job)
    s.flush()
    return job


# ------------------------------------------------------------------ the requests


#: Query strings of the reads that need one (so that they reach the permission check).
QUERIES = {
    "/api/v1/calendar/days": "year=2025",
    "/api/v1/obligations": "period=2025Q3",
    "/api/v1/obligations/summary": "period=2025Q3",
    "/api/v1/imports/rectification-ledger": "inspection_id={inspection_id}",
    "/api/v1/reports/rectification-ledger.xlsx": "inspection_id={inspection_id}",
    "/api/v1/reports/rectification-notice.docx": "inspection_id={inspection_id}",
    "/api/v1/reports/rectification-notice.pdf": "inspection_id={inspection_id}",
    "/api/v1/reports/risk-inventory.pdf": "org_unit_id={unit_id}",
    "/api/v1/reports/risk-inventory.xlsx": "org_unit_id={unit_id}",
    "/api/v1/reports/rotation-completion.pdf": "period=2025",
    "/api/v1/reports/rotation-completion.xlsx": "period=2025",
    "/api/v1/reports/talk-completion.pdf": "period=2025Q3",
    "/api/v1/reports/talk-completion.xlsx": "period=2025Q3",
    "/api/v1/rotation/completion": "period=2025",
    "/reports/risk-inventory": "org_unit_id={unit_id}&format=xlsx",
    "/reports/rotation-completion": "period=2025&format=xlsx",
    "/reports/talk-completion": "period=2025Q3&format=xlsx",
}
#: Page actions that remove or end their object: run last, with the API's deletes.
_ENDING = ("/delete", "/revoke", "/release", "/remove", "/withdraw")


def _order(key: str) -> tuple:
    method, rule = key.split(" ", 1)
    if rule == "/logout":
        return (9, rule)
    if method == "DELETE" or (method == "POST" and rule.endswith(_ENDING)):
        return (3, rule, method)
    return ({"GET": 0, "POST": 1, "PUT": 2, "PATCH": 2}[method], rule, method)


def _path(rule, bureau) -> str:
    values = {**bureau["params"], **bureau["special"].get(rule.rule, {})}
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.rule}: give PARAMS a value for {sorted(unknown)}"
    path = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
    query = QUERIES.get(rule.rule)
    return f"{path}?{query.format(**values)}" if query else path


def _answers(app, bureau, role) -> dict[str, int]:
    """Every route's status for `role`."""
    from supervision.auth.services import issue_token
    from supervision.extensions import db
    from tests.conftest import csrf_from

    client = app.test_client()
    headers: dict = {}
    csrf = ""
    if role != "anonymous":
        user = db.session.merge(bureau["users"][role])
        headers = {"Authorization": f"Bearer {issue_token(db.session, user, 'matrix')}"}
        db.session.commit()
        browser = app.test_client()
        page = browser.get("/login")
        resp = browser.post(
            "/login",
            data={
                "username": user.username,
                "password": factories.PASSWORD,
                "csrf_token": csrf_from(page.get_data(as_text=True)),
            },
        )
        assert resp.status_code == 302, (role, resp.status_code)
        csrf = csrf_from(browser.get("/login", follow_redirects=True).get_data(as_text=True))
    else:
        browser = client
        csrf = csrf_from(browser.get("/login").get_data(as_text=True))
    routes = _routes(app)
    answers = {}
    for key in sorted(routes, key=_order):
        method, _ = key.split(" ", 1)
        rule = routes[key]
        path = _path(rule, bureau)
        if path.startswith("/api/v1/") and not path.startswith("/api/v1/docs"):
            kwargs = {"headers": headers}
            if method != "GET":
                kwargs["json"] = {}
            resp = client.open(path, method=method, **kwargs)
        else:
            kwargs = {}
            if method != "GET":
                kwargs = {"data": {"csrf_token": csrf}, "headers": {"X-CSRFToken": csrf}}
            resp = browser.open(path, method=method, **kwargs)
            if role == "anonymous" and resp.status_code == 302 and rule.endpoint != "auth.login":
                assert "/login" in resp.headers["Location"] or rule.endpoint in _PUBLIC, key
        answers[key] = resp.status_code
    return answers


#: Pages that answer anonymous callers without sending them to the login page.
_PUBLIC = frozenset({"auth.set_language", "auth.logout"})


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_as_the_table_says(app, bureau, role):
    column = ROLES.index(role)
    answers = _answers(app, bureau, role)
    wrong = {
        key: (EXPECTED.get(key, "?").split()[column] if key in EXPECTED else "?", got)
        for key, got in answers.items()
        if key not in EXPECTED or EXPECTED[key].split()[column] != str(got)
    }
    assert not wrong, f"{role}: (expected, got)\n" + "\n".join(
        f"    {key!r}: {want} -> {got}" for key, (want, got) in sorted(wrong.items())
    )
