from django.urls import path

from . import views

app_name = "governance"

A = "a/<slug:slug>/"

urlpatterns = [
    path(A + "compliance/", views.compliance, name="compliance"),
    path(A + "compliance/monitor/", views.monitor, name="monitor"),
    path(A + "compliance/monitor/review/", views.flag_review, name="flag_review"),
    path(A + "compliance/rules/new/", views.rule_edit, name="rule_new"),
    path(A + "compliance/rules/<slug:key>/", views.rule_edit, name="rule_edit"),
    path(A + "compliance/rules/<slug:key>/reset/", views.rule_reset, name="rule_reset"),
    path(A + "compliance/piggybacking/<str:jurisdiction>/", views.piggyback_edit,
         name="piggyback_edit"),
    path(A + "compliance/piggybacking/<str:jurisdiction>/reset/", views.piggyback_reset,
         name="piggyback_reset"),
    path(A + "transparency/", views.transparency, name="transparency"),
    path(A + "transparency/documents/new/", views.public_document_new, name="document_new"),
    path(A + "transparency/documents/<int:pk>/", views.public_document, name="document"),
    path(
        A + "transparency/documents/<int:pk>/withdraw/",
        views.public_document_withdraw,
        name="document_withdraw",
    ),
    path(A + "audit/export/", views.audit_export, name="audit_export"),
    path(A + "audit/solicitations/<int:pk>/file.zip", views.procurement_file, name="file"),
    path(A + "reports/annual/", views.annual_report, name="annual_report"),
    path(A + "studies/", views.studies, name="studies"),
    path(A + "studies/new/", views.study_edit, name="study_new"),
    path(A + "studies/<int:pk>/", views.study_detail, name="study"),
    path(A + "studies/<int:pk>/edit/", views.study_edit, name="study_edit"),
    path(A + "studies/<int:pk>/districts/", views.study_districts, name="study_districts"),
    path(A + "studies/<int:pk>/publish/", views.study_publish, name="study_publish"),
    path(A + "studies/<int:pk>/copy/", views.study_copy, name="study_copy"),
]
