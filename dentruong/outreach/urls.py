from django.urls import path

from dentruong.outreach import views

urlpatterns = [
    path("cases/mine/", views.my_cases, name="my-cases"),
    path("units/<int:pk>/cases/", views.unit_cases, name="unit-cases"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/step/", views.case_step, name="case-step"),
    path("cases/<int:pk>/visit/", views.case_visit, name="case-visit"),
    path("cases/<int:pk>/close/", views.case_close, name="case-close"),
    path("cases/<int:pk>/support/", views.case_support, name="case-support"),
    path("students/<int:pk>/case/", views.student_case_open, name="student-case-open"),
    path("children/<int:pk>/case/", views.child_case_open, name="child-case-open"),
    path("students/<int:pk>/support/", views.student_support, name="student-support"),
    path("support/", views.programmes, name="outreach-programmes"),
    path("support/<int:pk>/deliver/", views.programme_deliver, name="programme-deliver"),
    path("mentees/mine/", views.my_mentees, name="my-mentees"),
    path("mentoring/<int:pk>/meeting/", views.mentor_meeting, name="mentor-meeting"),
    path("students/<int:pk>/mentor/", views.student_mentor, name="student-mentor"),
    path("units/<int:pk>/what-works/", views.unit_what_works, name="unit-what-works"),
    path("units/<int:pk>/meetings/", views.unit_meetings, name="unit-meetings"),
    path("units/<int:pk>/meetings.xlsx", views.unit_meetings_xlsx, name="unit-meetings-xlsx"),
    path("units/<int:pk>/meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="meeting-attendance"),
    path("partner-lists/<int:pk>/", views.partner_list, name="partner-list"),
]
