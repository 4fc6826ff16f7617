from django.urls import path

from .views import console, evaluation, portal, public

app_name = "procurement"

A = "a/<slug:slug>/"
C = A + "solicitations/<int:pk>/"
P = A + "supplier/<int:sid>/bids/"

urlpatterns = [
    # Public
    path(A + "bids/", public.public_list, name="public_list"),
    path(A + "bids/<int:pk>/", public.public_detail, name="public_detail"),
    path(A + "bids/<int:pk>/documents/<int:doc>/", public.document, name="document"),
    path(A + "bids/<int:pk>/tabulation/", public.tabulation, name="tabulation"),
    # Agency console
    path(A + "solicitations/", console.solicitation_list, name="list"),
    path(A + "solicitations/new/", console.solicitation_create, name="create"),
    path(C, console.solicitation_detail, name="detail"),
    path(C + "lots/new/", console.lot_add, name="lot_add"),
    path(C + "items/new/", console.item_add, name="item_add"),
    path(C + "criteria/new/", console.criterion_add, name="criterion_add"),
    path(C + "documents/new/", console.document_add, name="document_add"),
    path(C + "lots/<int:lot>/edit/", console.lot_edit, name="lot_edit"),
    path(C + "lots/<int:lot>/delete/", console.lot_delete, name="lot_delete"),
    path(C + "items/<int:item>/edit/", console.item_edit, name="item_edit"),
    path(C + "items/<int:item>/delete/", console.item_delete, name="item_delete"),
    path(C + "documents/<int:doc>/edit/", console.document_edit, name="document_edit"),
    path(C + "documents/<int:doc>/delete/", console.document_delete, name="document_delete"),
    path(C + "addenda/new/", console.addendum_add, name="addendum_add"),
    path(C + "questions/<int:question>/answer/", console.question_answer, name="answer"),
    path(C + "responses/<int:rid>/", console.response_detail, name="response"),
    path(
        C + "responses/<int:rid>/attachments/<int:aid>/",
        console.response_attachment,
        name="response_attachment",
    ),
    # Evaluation and award
    path(C + "evaluation/", evaluation.evaluation_page, name="evaluation"),
    path(C + "evaluation/check/", evaluation.findings_propose, name="findings_propose"),
    path(C + "evaluation/findings/<int:fid>/", evaluation.finding_decide, name="finding"),
    path(C + "evaluation/committee/add/", evaluation.committee_add, name="committee_add"),
    path(C + "evaluation/committee/<int:eid>/remove/", evaluation.committee_remove,
         name="committee_remove"),
    path(C + "evaluation/scoring/conflict/", evaluation.conflict_declare,
         name="conflict_declare"),
    path(C + "evaluation/scoring/", evaluation.scoring, name="scoring"),
    path(C + "evaluation/scoring/submit/", evaluation.scoring_submit, name="scoring_submit"),
    path(C + "evaluation/scoring/<int:rid>/", evaluation.scoring_response, name="score"),
    path(C + "award/", evaluation.award_page, name="award"),
    path(C + "award/report.pdf", evaluation.award_pdf, name="award_pdf"),
    path(C + "award/recommend/", evaluation.award_recommend, name="award_recommend"),
    path(C + "award/protests/<int:prid>/", evaluation.protest_decide, name="protest_decide"),
    path(C + "award/<str:step>/", evaluation.award_step, name="award_step"),
    path(C + "<str:move>/", console.confirm, name="confirm"),
    # Supplier portal
    path(P, portal.bids, name="bids"),
    path(P + "<int:pk>/", portal.respond, name="respond"),
    path(P + "<int:pk>/withdraw/", portal.withdraw, name="withdraw"),
    path(P + "<int:pk>/ask/", portal.ask, name="ask"),
    path(P + "<int:pk>/receipts/<int:rid>/", portal.receipt, name="receipt"),
    path(P + "<int:pk>/award/", evaluation.portal_award, name="award_notice"),
    # Member portal: demand surveys
    path(A + "institution/<int:iid>/surveys/", portal.surveys, name="surveys"),
    path(A + "institution/<int:iid>/surveys/<int:pk>/", portal.survey, name="survey"),
]
