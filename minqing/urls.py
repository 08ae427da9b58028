from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from minqing.accounts import views as accounts
from minqing.api import open311 as o311
from minqing.api import views as ex
from minqing.api.api import api
from minqing.evaluation import star_views as st
from minqing.evaluation import views as ev
from minqing.governance import views as gv
from minqing.meetings import views as mt
from minqing.notifications import views as n
from minqing.ops import views as ops
from minqing.partnership import views as pt
from minqing.tickets import resident_views as r
from minqing.tickets import views as t
from minqing.triage import views as tr
from minqing.workbench import workbench

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("", workbench, name="workbench"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("account/second-factor/", accounts.second_factor, name="second_factor"),
    path("account/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tickets/", t.ticket_list, name="ticket_list"),
    path("tickets/new/", t.ticket_new, name="ticket_new"),
    path("tickets/queue/<str:name>/", t.queue_view, name="queue"),
    path("tickets/queue/<str:name>/bulk/", t.bulk_act, name="queue_bulk"),
    path("tickets/<str:number>/", t.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/<str:action>/", t.ticket_act, name="ticket_act"),
    path("attachments/<int:pk>/", t.attachment, name="attachment"),
    path("supervision/", t.supervision, name="supervision"),
    path("orders/<int:pk>/reply/", t.order_reply, name="order_reply"),
    path("parts/<int:pk>/<str:what>/", t.part_act, name="part_act"),
    path("applications/<int:pk>/decide/", t.application_decide, name="application_decide"),
    path("areas/options/", t.area_options, name="area_options"),
    path("areas/shapes/", t.area_shapes, name="area_shapes"),
    path("areas/at/", t.area_at, name="area_at"),
    path("notifications/", n.inbox, name="inbox"),
    path("notifications/<int:pk>/open/", n.open_notification, name="notification_open"),
    path("notifications/read-all/", n.read_all, name="notifications_read_all"),
    path("notifications/preferences/", n.preferences, name="notification_preferences"),
    path("triage/suggest/", tr.suggest, name="triage_suggest"),
    path("triage/duplicates/<str:number>/", tr.duplicates, name="triage_duplicates"),
    path("triage/hotspots/", tr.hotspots, name="hotspots"),
    path("triage/accuracy/", tr.accuracy, name="triage_accuracy"),
    path("evaluation/", ev.dashboard, name="evaluation"),
    path("evaluation/metrics/", ev.metrics_table, name="evaluation_metrics"),
    path("evaluation/rankings/", ev.rankings, name="evaluation_rankings"),
    path("evaluation/map/", ev.area_map, name="evaluation_map"),
    path("evaluation/requests/", ev.requests_behind, name="evaluation_requests"),
    path("evaluation/report/", ev.report, name="evaluation_report"),
    path("evaluation/stars/", st.star_index, name="star_index"),
    path("evaluation/stars/<int:year>/", st.star_board, name="star_board"),
    path("evaluation/stars/<int:year>/do/<str:action>/", st.star_do, name="star_do"),
    path("evaluation/stars/<int:year>/<int:community>/", st.star_card, name="star_card"),
    path("evaluation/stars/evidence/<int:pk>/", st.star_evidence, name="star_evidence"),
    path("r/stars/<int:year>/", st.star_notice, name="star_notice"),
    path("evaluation/awards/", st.award_list, name="award_list"),
    path("evaluation/awards/<int:pk>/decide/", st.award_decide, name="award_decide"),
    path("evaluation/cases/", st.case_list, name="case_list"),
    path("r/awards/<int:year>/", st.award_winners, name="award_winners"),
    path("governance/", gv.project_list, name="gov_project_list"),
    path("governance/new/", gv.project_new, name="gov_project_new"),
    path("governance/<int:pk>/", gv.project_detail, name="gov_project_detail"),
    path("governance/<int:pk>/<str:action>/", gv.project_act, name="gov_project_act"),
    path("knowledge/", gv.kb_list, name="kb_list"),
    path("knowledge/new/", gv.kb_edit, name="kb_new"),
    path("knowledge/suggest/", gv.kb_suggest, name="kb_suggest"),
    path("knowledge/<int:pk>/", gv.kb_edit, name="kb_edit"),
    path("knowledge/<int:pk>/use/", gv.kb_use, name="kb_use"),
    path("r/monthly/", gv.monthly, name="monthly_topics"),
    path("meetings/", mt.meeting_list, name="meeting_list"),
    path("meetings/new/", mt.meeting_new, name="meeting_new"),
    path("meetings/stats/", mt.meeting_stats, name="meeting_stats"),
    path("meetings/<int:pk>/", mt.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/<str:action>/", mt.meeting_do, name="meeting_do"),
    path("meetings/resolutions/<int:pk>/done/", mt.resolution_done, name="resolution_done"),
    path("meetings/files/<int:pk>/", mt.minutes_file, name="minutes_file"),
    path("meetings/for-request/<str:number>/", mt.ticket_panel, name="meeting_ticket_panel"),
    path("lists/needs/", pt.need_list, name="need_list"),
    path("lists/needs/new/", pt.need_new, name="need_new"),
    path("lists/needs/from-requests/", pt.needs_from_hotspots, name="needs_from_hotspots"),
    path("lists/needs/<int:pk>/", pt.need_detail, name="need_detail"),
    path("lists/needs/<int:pk>/edit/", pt.need_edit, name="need_edit"),
    path("lists/needs/<int:pk>/<str:action>/", pt.need_act, name="need_act"),
    path("lists/resources/", pt.resource_list, name="resource_list"),
    path("lists/resources/new/", pt.resource_new, name="resource_new"),
    path("lists/resources/<int:pk>/edit/", pt.resource_edit, name="resource_edit"),
    path("lists/projects/", pt.project_list, name="project_list"),
    path("lists/projects/<int:pk>/", pt.project_detail, name="project_detail"),
    path("lists/projects/<int:pk>/<str:action>/", pt.project_act, name="project_act"),
    path("lists/matrix/", pt.matrix, name="matrix"),
    path("lists/seats/new/", pt.seat_new, name="seat_new"),
    path("lists/units/import/", pt.unit_import, name="unit_import"),
    path("lists/units/template.xlsx", pt.unit_template, name="unit_template"),
    path("lists/agreements/", pt.agreement_list, name="agreement_list"),
    path("lists/agreements/<int:pk>/", pt.agreement_detail, name="agreement_detail"),
    path("lists/agreements/<int:pk>/docx/", pt.agreement_docx, name="agreement_docx"),
    path("lists/agreements/<int:pk>/scan/", pt.agreement_scan, name="agreement_scan"),
    path("lists/wishes/", pt.wish_list, name="wish_list"),
    path("lists/wishes/<int:pk>/<str:action>/", pt.wish_act, name="wish_act"),
    path("lists/members/", pt.member_list, name="member_list"),
    path("lists/members/record.xlsx", pt.member_export, name="member_export"),
    path("lists/stats/", pt.stats, name="list_stats"),
    path("r/wishes/<str:code>/", pt.wish_wall, name="wish_wall"),
    path("r/notices/", mt.notice_index, name="notice_index"),
    path("r/notices/<str:code>/", mt.notice_board, name="notice_board"),
    path("r/", r.home, name="resident_home"),
    path("r/new/", r.new, name="resident_new"),
    path("r/done/", r.done, name="resident_done"),
    path("r/track/", r.track, name="resident_track"),
    path("r/mine/", r.mine, name="resident_mine"),
    path("r/t/<str:number>/", r.ticket, name="resident_ticket"),
    path("r/t/<str:number>/rate/", r.rate, name="resident_rate"),
    path("api/", api.urls),
    path("exchange/", ex.exchange, name="exchange"),
    path("exchange/jobs/<int:pk>/", ex.job, name="exchange_job"),
    path("exchange/jobs/<int:pk>/retry/", ex.retry, name="exchange_job_retry"),
    path("exchange/replies.xlsx", ex.export, name="exchange_export"),
    path("exchange/12345/push", ex.push12345, name="push12345"),
    path("open311/v2/discovery.<str:fmt>", o311.discovery, name="open311_discovery"),
    path("open311/v2/services.<str:fmt>", o311.services, name="open311_services"),
    path("open311/v2/services/<str:code>.<str:fmt>", o311.service_definition, name="open311_service"),
    path("open311/v2/requests.<str:fmt>", o311.requests_view, name="open311_requests"),
    path("open311/v2/requests/<str:number>.<str:fmt>", o311.request_detail, name="open311_request"),
    path("open311/v2/tokens/<str:token>.<str:fmt>", o311.token_view, name="open311_token"),
    path("open311/v2/servicerequestupdates.<str:fmt>", o311.updates, name="open311_updates"),
    path("grid/", include("minqing.grid.urls")),  # 网格走访 (minqing/grid)
    path("admin/", admin.site.urls),
]

# Error pages in Chinese, in the site's layout; JSON under /api/ and /open311/ (minqing/ops/errors.py).
handler400 = "minqing.ops.errors.bad_request"
handler403 = "minqing.ops.errors.forbidden"
handler404 = "minqing.ops.errors.not_found"
handler500 = "minqing.ops.errors.server_error"
