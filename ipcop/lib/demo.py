"""The demo world that `manage.py load_demo` builds: seven fictional clinical sites across
Alberta's health zones, their communities of practice, the clinicians, facilitators and
students, placements, mentoring, meetings, initiatives and six-month follow-ups.

Every person is fictional. Dates are relative to the day the loader runs, so "active"
placements always cover today and follow-ups are always overdue, due or done.

Running the loader again leaves the same rows: every row is found by a natural key
(an email, a site name, a CoP and a title, a membership or placement, ...) or, for rows
without one (meetings, sessions, capacity, quotes), by its position among the rows of its
owner in creation order, then updated in place. Nothing is random across runs: the one
source of variety is `random.Random(2026)`, consumed in the same order every time.

The loader writes models directly rather than through the apps' services: services
enforce the workflow a person follows (a placement moves requested → confirmed → active),
whereas the demo puts each row straight into the state it should show.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
from django.db import models
from django.utils import timezone

from accounts.models import Profession, User
from interviews.models import (
    FollowUp,
    FollowUpStatus,
    InterviewMode,
    InterviewRecord,
    Quote,
    Reminder,
    ReminderKind,
    Theme,
)
from mentoring.models import (
    Activity,
    CompetencyDomain,
    MentorAssignment,
    MentoringSession,
    MentorRole,
    SessionProfessional,
    SessionStudent,
)
from placements.models import (
    Capacity,
    Placement,
    PlacementModel,
    PlacementStatus,
    PlacementStatusChange,
    Program,
    Student,
)
from sites.models import (
    CommunityOfPractice,
    CoPStatus,
    HealthZone,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
    MembershipRole,
    Site,
    SiteKind,
    Unit,
)

DEMO_PASSWORD = "ipcop-demo"  # noqa: S105 - public: printed for people trying the demo
DEMO_DOMAIN = "ipcop.example"
DEMO_PASSWORD_SALT = "ipcopDemoPasswordSalt2026"  # noqa: S105 - see _demo_password_hash
SEED = 2026

ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
FACILITATOR_EMAIL = f"facilitator@{DEMO_DOMAIN}"
PRECEPTOR_EMAIL = f"preceptor@{DEMO_DOMAIN}"
STUDENT_EMAIL = f"student@{DEMO_DOMAIN}"

IP = PlacementModel.IP_MENTORING
TRAD = PlacementModel.TRADITIONAL


# --- Content -------------------------------------------------------------------------


def _email(full_name: str) -> str:
    local = full_name.lower().replace("'", "").replace(" ", ".").replace("-", "")
    return f"{local}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class SiteSpec:
    key: str
    name: str
    kind: str
    zone: str
    city: str
    address: str
    phone: str
    units: tuple[tuple[str, str], ...]
    cop_name: str
    cop_focus: str
    cop_started: int  # days from today
    facilitators: tuple[str, ...]  # emails
    capacity: tuple[tuple[str, int], ...]  # (profession code, places per period)


@dataclass(frozen=True)
class MemberSpec:
    name: str
    profession: str
    role: str
    joined: int  # days from today
    preceptor: bool = True
    email: str = ""
    left: int | None = None

    @property
    def address(self) -> str:
        return self.email or _email(self.name)


@dataclass(frozen=True)
class PlacementSpec:
    site: str
    unit: str | None
    model: str
    status: str
    start: int  # days from today
    weeks: int
    primary: str = ""  # email; chosen from the site's preceptors when empty
    ip_mentors: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudentSpec:
    name: str
    program: str
    placements: tuple[PlacementSpec, ...]
    email: str = ""

    @property
    def address(self) -> str:
        return self.email or _email(self.name)


FACILITATORS = [
    # (full name, email, profession code, phone)
    ("Farah Haddad", FACILITATOR_EMAIL, "social-work", "780-555-0101"),
    ("Graham Whitford", _email("Graham Whitford"), "occupational-therapy", "403-555-0102"),
    ("Helen Ouellette", _email("Helen Ouellette"), "nursing", "403-555-0103"),
]
FARAH, GRAHAM, HELEN = (f[1] for f in FACILITATORS)

SITES = [
    SiteSpec(
        key="riverside",
        name="Capital Riverside Hospital",
        kind=SiteKind.HOSPITAL_UNIT,
        zone=HealthZone.EDMONTON,
        city="Edmonton",
        address="10240 Riverbend Road NW",
        phone="780-555-0140",
        units=(
            ("5 East General Medicine", "32-bed adult medicine unit"),
            ("Transitional Care Unit", "Patients waiting for continuing care or home supports"),
        ),
        cop_name="5 East Collaborative Practice Group",
        cop_focus="Communication across the unit's professions and smoother admissions.",
        cop_started=-410,
        facilitators=(FARAH,),
        capacity=(("nursing", 3), ("occupational-therapy", 1), ("pharmacy", 1), ("medicine", 1)),
    ),
    SiteSpec(
        key="northgate",
        name="Northgate Mental Health Services",
        kind=SiteKind.MENTAL_HEALTH,
        zone=HealthZone.EDMONTON,
        city="Edmonton",
        address="13320 Northgate Avenue NW",
        phone="780-555-0150",
        units=(
            ("Adult Community Mental Health", "Outpatient assessment and treatment"),
            ("Early Psychosis Program", "Young adults after a first episode of psychosis"),
        ),
        cop_name="Northgate Team Learning Circle",
        cop_focus="Joint intake and understanding each discipline's part in recovery.",
        cop_started=-340,
        facilitators=(FARAH,),
        capacity=(("nursing", 2), ("social-work", 2)),
    ),
    SiteSpec(
        key="peace",
        name="Peace Country Primary Care Network",
        kind=SiteKind.PRIMARY_CARE,
        zone=HealthZone.NORTH,
        city="Grande Prairie",
        address="9911 Wapiti Trail",
        phone="780-555-0160",
        units=(("Wapiti Family Practice Team", "Family physicians with an allied health team"),),
        cop_name="Peace Country IP Practice Community",
        cop_focus="Shared care plans for people with chronic disease across a rural network.",
        cop_started=-260,
        facilitators=(FARAH,),
        capacity=(("nursing", 2), ("medicine", 1), ("pharmacy", 1), ("physiotherapy", 1)),
    ),
    SiteSpec(
        key="coulee",
        name="Coulee Valley Regional Hospital",
        kind=SiteKind.HOSPITAL_UNIT,
        zone=HealthZone.SOUTH,
        city="Lethbridge",
        address="960 Coulee Crest Drive S",
        phone="403-555-0170",
        units=(
            ("3 West Medicine", "Adult medicine with many older patients"),
            ("Acute Care for Elders", "Geriatric assessment beds"),
        ),
        cop_name="3 West Interprofessional Community",
        cop_focus="Getting patients home sooner and safer: discharge planning from day one.",
        cop_started=-430,
        facilitators=(GRAHAM,),
        capacity=(("nursing", 3), ("respiratory-therapy", 1), ("social-work", 1)),
    ),
    SiteSpec(
        key="bowriver",
        name="Bow River Rehabilitation Centre",
        kind=SiteKind.REHABILITATION,
        zone=HealthZone.CALGARY,
        city="Calgary",
        address="2150 Bowness Bend NW",
        phone="403-555-0180",
        units=(
            ("Stroke Rehabilitation", "Inpatient stroke rehabilitation"),
            ("Orthopaedic Rehabilitation", "After joint replacement and fractures"),
        ),
        cop_name="Bow River Rehab Team Community",
        cop_focus="One intake, one set of goals, one team conference.",
        cop_started=-390,
        facilitators=(GRAHAM,),
        capacity=(("physiotherapy", 2), ("occupational-therapy", 2), ("nursing", 1)),
    ),
    SiteSpec(
        key="sunalta",
        name="Sunalta Community Health Clinic",
        kind=SiteKind.COMMUNITY_CLINIC,
        zone=HealthZone.CALGARY,
        city="Calgary",
        address="1615 Sunalta Crescent SW",
        phone="403-555-0190",
        units=(("Chronic Disease Management", "Diabetes, heart failure and COPD clinics"),),
        cop_name="Sunalta Clinic Community of Practice",
        cop_focus="A morning huddle and warm hand-offs between the clinic's professions.",
        cop_started=-310,
        facilitators=(GRAHAM, HELEN),
        capacity=(("pharmacy", 2), ("medicine", 1), ("nursing", 1), ("occupational-therapy", 1)),
    ),
    SiteSpec(
        key="aspen",
        name="Aspen Lodge Continuing Care Centre",
        kind=SiteKind.LONG_TERM_CARE,
        zone=HealthZone.CENTRAL,
        city="Red Deer",
        address="4720 Aspen Grove Road",
        phone="403-555-0200",
        units=(
            ("Parkland Wing", "Long-term care for 40 residents"),
            ("Memory Care Neighbourhood", "Secure unit for residents living with dementia"),
        ),
        cop_name="Aspen Lodge Care Team Community",
        cop_focus="Speaking with one voice to residents and families.",
        cop_started=-370,
        facilitators=(HELEN,),
        capacity=(("lpn", 2), ("nursing", 2), ("occupational-therapy", 1)),
    ),
]

M = MembershipRole
# Clinicians and managers, by site; founders joined when the CoP started.
MEMBERS: dict[str, list[MemberSpec]] = {
    "riverside": [
        MemberSpec("Priya Natarajan", "nursing", M.CHAMPION, -410, email=PRECEPTOR_EMAIL),
        MemberSpec("Daniel Okafor", "pharmacy", M.PRECEPTOR, -410),
        MemberSpec("Brenda Kowalski", "nursing", M.MANAGER, -410, preceptor=False),
        MemberSpec("Marie-Claude Gagnon", "occupational-therapy", M.PRECEPTOR, -380),
        MemberSpec("Tom Brennan", "physiotherapy", M.PRECEPTOR, -350),
        MemberSpec("Aisha Rahman", "social-work", M.MEMBER, -195, preceptor=False),
        MemberSpec("Kevin Liu", "medicine", M.MEMBER, -170, preceptor=False),
        MemberSpec("Rosa Delgado", "respiratory-therapy", M.PRECEPTOR, -60),
    ],
    "northgate": [
        MemberSpec("Sarah Whitehorse", "psychology", M.CHAMPION, -340),
        MemberSpec("Jamal Osei", "social-work", M.PRECEPTOR, -340),
        MemberSpec("Lena Fischer", "nursing", M.PRECEPTOR, -300),
        MemberSpec("Ravi Sharma", "pharmacy", M.MEMBER, -190, preceptor=False),
        MemberSpec("Chloe Bouchard", "occupational-therapy", M.PRECEPTOR, -172),
        MemberSpec("Ian McLeod", "medicine", M.MEMBER, -90, preceptor=False),
    ],
    "peace": [
        MemberSpec("Janelle Cardinal", "nursing", M.CHAMPION, -260),
        MemberSpec("Omar Siddiqui", "medicine", M.PRECEPTOR, -260),
        MemberSpec("Heather Lindqvist", "dietetics", M.PRECEPTOR, -230),
        MemberSpec("Mike Tremblay", "pharmacy", M.MEMBER, -196, preceptor=False),
        MemberSpec("Nadia Petrov", "social-work", M.PRECEPTOR, -168),
        MemberSpec("Kyle Andersen", "physiotherapy", M.PRECEPTOR, -120),
    ],
    "coulee": [
        MemberSpec("Megan O'Rourke", "nursing", M.CHAMPION, -430),
        MemberSpec("Hiroshi Tanaka", "pharmacy", M.PRECEPTOR, -430),
        MemberSpec("Doug Harper", "nursing", M.MANAGER, -430, preceptor=False),
        MemberSpec("Grace Vandenberg", "physiotherapy", M.PRECEPTOR, -400),
        MemberSpec("Carlos Mendes", "social-work", M.PRECEPTOR, -360),
        MemberSpec("Fatima Malik", "medicine", M.MEMBER, -330, preceptor=False),
        MemberSpec("Gwen Tallman", "lpn", M.MEMBER, -330, preceptor=False, left=-150),
        MemberSpec("Tessa Kowal", "speech-language-pathology", M.PRECEPTOR, -188),
        MemberSpec("Brian Lafleur", "respiratory-therapy", M.PRECEPTOR, -140),
    ],
    "bowriver": [
        MemberSpec("Jenna Morrison", "physiotherapy", M.CHAMPION, -390),
        MemberSpec("Samuel Adeyemi", "occupational-therapy", M.PRECEPTOR, -390),
        MemberSpec("Leah Goldberg", "speech-language-pathology", M.PRECEPTOR, -350),
        MemberSpec("Patrick Doyle", "nursing", M.PRECEPTOR, -300),
        MemberSpec("Amelia Chen", "recreation-therapy", M.MEMBER, -176, preceptor=False),
        MemberSpec("Victor Nguyen", "dietetics", M.MEMBER, -100, preceptor=False),
    ],
    "sunalta": [
        MemberSpec("Olivia Bertrand", "nursing", M.CHAMPION, -310),
        MemberSpec("Hamid Karimi", "pharmacy", M.PRECEPTOR, -310),
        MemberSpec("Rebecca Stone", "medicine", M.PRECEPTOR, -280),
        MemberSpec("Yuki Sato", "dietetics", M.PRECEPTOR, -250),
        MemberSpec("Ben Whitaker", "social-work", M.MEMBER, -192, preceptor=False),
        MemberSpec("Ana Ribeiro", "psychology", M.MEMBER, -40, preceptor=False),
    ],
    "aspen": [
        MemberSpec("Karen Dubois", "lpn", M.CHAMPION, -370),
        MemberSpec("Michelle Park", "nursing", M.MANAGER, -370),
        MemberSpec("Ed Sinclair", "recreation-therapy", M.PRECEPTOR, -340),
        MemberSpec("Priscilla Moyo", "occupational-therapy", M.PRECEPTOR, -300),
        MemberSpec("Neil Cameron", "medicine", M.MEMBER, -215, preceptor=False),
        MemberSpec("Tariq Aziz", "pharmacy", M.MEMBER, -174, preceptor=False),
        MemberSpec("Joanne Fraser", "physiotherapy", M.PRECEPTOR, -30),
    ],
}

PROGRAMS = {
    # key: (name, institution, profession code)
    "ua-bscn": ("Bachelor of Science in Nursing", "University of Alberta", "nursing"),
    "uc-bn": ("Bachelor of Nursing", "University of Calgary", "nursing"),
    "nq-pn": ("Practical Nurse Diploma", "NorQuest College", "lpn"),
    "ua-ot": (
        "Master of Science in Occupational Therapy",
        "University of Alberta",
        "occupational-therapy",
    ),
    "ua-pt": ("Master of Science in Physical Therapy", "University of Alberta", "physiotherapy"),
    "uc-bsw": ("Bachelor of Social Work", "University of Calgary", "social-work"),
    "ua-pharmd": ("Doctor of Pharmacy", "University of Alberta", "pharmacy"),
    "sait-rt": (
        "Respiratory Therapy Diploma",
        "Southern Alberta Institute of Technology",
        "respiratory-therapy",
    ),
    "uc-md": ("Doctor of Medicine", "University of Calgary", "medicine"),
}

P = PlacementStatus
PRIYA = PRECEPTOR_EMAIL
STUDENTS = [
    # Active placements (they cover today).
    StudentSpec(
        "Sofia Martel",
        "ua-bscn",
        (
            PlacementSpec(
                "riverside",
                "5 East General Medicine",
                IP,
                P.ACTIVE,
                -24,
                8,
                primary=PRIYA,
                ip_mentors=(_email("Daniel Okafor"), _email("Marie-Claude Gagnon")),
            ),
            PlacementSpec("aspen", "Parkland Wing", IP, P.COMPLETED, -230, 6),
        ),
        email=STUDENT_EMAIL,
    ),
    StudentSpec(
        "Ethan Kowalczyk",
        "ua-ot",
        (
            PlacementSpec(
                "riverside",
                "5 East General Medicine",
                IP,
                P.ACTIVE,
                -17,
                7,
                primary=_email("Marie-Claude Gagnon"),
                ip_mentors=(PRIYA,),
            ),
        ),
    ),
    StudentSpec(
        "Maya Thompson",
        "ua-pharmd",
        (
            PlacementSpec(
                "riverside",
                "Transitional Care Unit",
                IP,
                P.ACTIVE,
                -10,
                6,
                primary=_email("Daniel Okafor"),
                ip_mentors=(PRIYA, _email("Tom Brennan")),
            ),
        ),
    ),
    StudentSpec(
        "Owen Marchand",
        "sait-rt",
        (PlacementSpec("riverside", "5 East General Medicine", IP, P.ACTIVE, -7, 6),),
    ),
    StudentSpec("Noah Gill", "uc-md", (PlacementSpec("sunalta", None, TRAD, P.ACTIVE, -20, 6),)),
    StudentSpec(
        "Hannah Moreau",
        "ua-pt",
        (PlacementSpec("bowriver", "Stroke Rehabilitation", IP, P.ACTIVE, -28, 8),),
    ),
    StudentSpec(
        "Lucas Fontaine",
        "ua-bscn",
        (PlacementSpec("coulee", "3 West Medicine", TRAD, P.ACTIVE, -14, 8),),
    ),
    StudentSpec(
        "Zara Ahmed", "uc-bsw", (PlacementSpec("coulee", "3 West Medicine", IP, P.ACTIVE, -14, 8),)
    ),
    StudentSpec(
        "Isabelle Tran", "nq-pn", (PlacementSpec("aspen", "Parkland Wing", IP, P.ACTIVE, -21, 6),)
    ),
    StudentSpec(
        "Ryan O'Connell",
        "ua-ot",
        (PlacementSpec("aspen", "Memory Care Neighbourhood", IP, P.ACTIVE, -21, 6),),
    ),
    StudentSpec(
        "Amira Hassan", "ua-pharmd", (PlacementSpec("sunalta", None, IP, P.ACTIVE, -20, 6),)
    ),
    StudentSpec(
        "Emily Sorensen",
        "uc-bn",
        (PlacementSpec("northgate", "Adult Community Mental Health", IP, P.ACTIVE, -12, 7),),
    ),
    StudentSpec(
        "Marcus Bell",
        "uc-bsw",
        (PlacementSpec("northgate", "Early Psychosis Program", IP, P.ACTIVE, -12, 7),),
    ),
    StudentSpec("Julia Kim", "ua-pt", (PlacementSpec("peace", None, IP, P.ACTIVE, -9, 6),)),
    StudentSpec("Tyler Beaulieu", "uc-md", (PlacementSpec("peace", None, TRAD, P.ACTIVE, -9, 4),)),
    # Completed placements: their follow-ups are done, overdue, due soon or still ahead.
    StudentSpec(
        "Nora Lindgren",
        "ua-bscn",
        (
            PlacementSpec("riverside", "5 East General Medicine", IP, P.COMPLETED, -260, 6),
            PlacementSpec("northgate", "Adult Community Mental Health", IP, P.CONFIRMED, 28, 6),
        ),
    ),
    StudentSpec(
        "Jacob Winters",
        "ua-pharmd",
        (
            PlacementSpec("coulee", "3 West Medicine", IP, P.COMPLETED, -240, 6),
            PlacementSpec("sunalta", None, TRAD, P.REQUESTED, 45, 6),
        ),
    ),
    StudentSpec(
        "Leila Nasser",
        "ua-ot",
        (
            PlacementSpec("bowriver", "Orthopaedic Rehabilitation", IP, P.COMPLETED, -215, 6),
            PlacementSpec("peace", None, IP, P.REQUESTED, 50, 6),
        ),
    ),
    StudentSpec(
        "Mateo Alvarez",
        "uc-bn",
        (
            PlacementSpec("sunalta", None, IP, P.COMPLETED, -208, 6),
            PlacementSpec("aspen", "Parkland Wing", IP, P.REQUESTED, 60, 6),
        ),
    ),
    StudentSpec(
        "Kiara Desjardins",
        "sait-rt",
        (PlacementSpec("coulee", "3 West Medicine", IP, P.COMPLETED, -195, 6),),
    ),
    StudentSpec(
        "Connor MacDonald",
        "uc-bsw",
        (PlacementSpec("northgate", "Adult Community Mental Health", TRAD, P.COMPLETED, -190, 6),),
    ),
    StudentSpec(
        "Sara Lindholm",
        "nq-pn",
        (PlacementSpec("aspen", "Memory Care Neighbourhood", TRAD, P.COMPLETED, -188, 6),),
    ),
    StudentSpec(
        "Aiden Roy",
        "ua-pt",
        (PlacementSpec("riverside", "5 East General Medicine", IP, P.COMPLETED, -176, 6),),
    ),
    StudentSpec(
        "Fatou Diallo", "ua-pharmd", (PlacementSpec("peace", None, IP, P.COMPLETED, -170, 6),)
    ),
    StudentSpec(
        "Liam Sutherland",
        "ua-bscn",
        (PlacementSpec("bowriver", "Stroke Rehabilitation", IP, P.COMPLETED, -166, 6),),
    ),
    StudentSpec(
        "Mia Rossi",
        "uc-bn",
        (
            PlacementSpec("northgate", "Early Psychosis Program", IP, P.COMPLETED, -120, 6),
            PlacementSpec("riverside", "Transitional Care Unit", IP, P.CANCELLED, 30, 6),
        ),
    ),
    StudentSpec(
        "Ella Novak",
        "ua-ot",
        (
            PlacementSpec("sunalta", None, IP, P.COMPLETED, -90, 6),
            PlacementSpec("bowriver", "Orthopaedic Rehabilitation", TRAD, P.REQUESTED, 75, 6),
        ),
    ),
    # Confirmed and requested placements, starting soon.
    StudentSpec(
        "Arjun Mehta",
        "uc-md",
        (PlacementSpec("riverside", "5 East General Medicine", IP, P.CONFIRMED, 7, 6),),
    ),
    StudentSpec(
        "Chantal Lavoie", "ua-bscn", (PlacementSpec("peace", None, IP, P.CONFIRMED, 14, 8),)
    ),
    StudentSpec(
        "Gabriel Santos",
        "sait-rt",
        (PlacementSpec("coulee", "3 West Medicine", IP, P.CONFIRMED, 21, 6),),
    ),
    StudentSpec(
        "Rachel Cho", "nq-pn", (PlacementSpec("aspen", "Parkland Wing", IP, P.REQUESTED, 40, 6),)
    ),
]

S, IS = InitiativeStatus, InitiativeTheme
INITIATIVES: dict[str, list[tuple]] = {
    # site key: [(title, theme, status, started (days), ended (days) or None, description, outcome)]
    "riverside": [
        (
            "Joint meetings of all professionals on the unit",
            IS.COMMUNICATION,
            S.IMPLEMENTED,
            -330,
            None,
            (
                "A 30-minute meeting every Tuesday for everyone who works on 5 East: nurses, "
                "physicians, pharmacist, therapists, social work and the unit clerk."
            ),
            (
                "Held 40 weeks running with at least five professions present. Discharge "
                "surprises raised at the meeting fell from most weeks to rare."
            ),
        ),
        (
            "Daily goals whiteboard in every room",
            IS.PATIENT_CENTRED,
            S.SUSTAINED,
            -360,
            None,
            "Patients and families write the day's goal with whoever sees them first.",
            "Every room uses it; families say they know what the day is for.",
        ),
        (
            "Role-exploration interviews for every new student",
            IS.ROLES_SCOPE,
            S.PLANNED,
            -20,
            None,
            "Each student interviews a clinician of another profession in their first week.",
            "",
        ),
    ],
    "northgate": [
        (
            "Joint intake by nursing and social work",
            IS.ADMISSION_INTAKE,
            S.IN_PROGRESS,
            -200,
            None,
            "New clients meet a nurse and a social worker together at their first visit.",
            "",
        ),
        (
            "Monthly lunch-and-learn on one profession's scope",
            IS.ROLES_SCOPE,
            S.IMPLEMENTED,
            -300,
            None,
            "Each month one discipline explains what it does and what it needs from others.",
            "Eight sessions held; referrals between disciplines are better targeted.",
        ),
    ],
    "peace": [
        (
            "Shared care plans for patients with diabetes",
            IS.PATIENT_CENTRED,
            S.PLANNED,
            -60,
            None,
            "One plan per patient, written with the dietitian, pharmacist, nurse and physician.",
            "",
        ),
        (
            "Virtual case conference with rural clinics",
            IS.COMMUNICATION,
            S.IDEA,
            None,
            None,
            "A monthly video case conference with the network's smaller clinics.",
            "",
        ),
    ],
    "coulee": [
        (
            "Streamline discharge planning on 3 West",
            IS.DISCHARGE,
            S.IN_PROGRESS,
            -280,
            None,
            (
                "Discharge planning starts at admission: an expected date of discharge and a "
                "social work and therapy screen on day one, reviewed at every huddle."
            ),
            "",
        ),
        (
            "Pharmacist medication reconciliation at admission",
            IS.ADMISSION_INTAKE,
            S.PLANNED,
            -45,
            None,
            "The unit pharmacist reconciles medications for every admission within 24 hours.",
            "",
        ),
    ],
    "bowriver": [
        (
            "One designated person does all patient intakes",
            IS.ADMISSION_INTAKE,
            S.IMPLEMENTED,
            -320,
            None,
            (
                "One intake coordinator gathers each new patient's history once and shares a "
                "single summary with the whole team before the first team conference."
            ),
            (
                "Patients tell their story once; the first team conference starts with a shared "
                "summary instead of four separate assessments."
            ),
        ),
        (
            "Joint goal-setting conference in the first week",
            IS.PATIENT_CENTRED,
            S.IN_PROGRESS,
            -150,
            None,
            "Patient, family and every discipline agree rehabilitation goals by day five.",
            "",
        ),
    ],
    "sunalta": [
        (
            "Ten-minute team huddle before clinic",
            IS.COMMUNICATION,
            S.SUSTAINED,
            -290,
            None,
            "Every morning the day's complex patients are flagged to the whole team.",
            "Still running daily after nine months; phone tag between staff has dropped.",
        ),
        (
            "Warm hand-offs to the clinic social worker",
            IS.ROLES_SCOPE,
            S.IN_PROGRESS,
            -120,
            None,
            "Introduce the social worker in the room instead of handing over a referral slip.",
            "",
        ),
    ],
    "aspen": [
        (
            "Family care conference every quarter",
            IS.PATIENT_CENTRED,
            S.IMPLEMENTED,
            -300,
            None,
            "Each resident's family meets the nurse, LPN, recreation therapist and OT together.",
            "Families hear one consistent plan; complaints about mixed messages stopped.",
        ),
        (
            "Shared charting template across disciplines",
            IS.COMMUNICATION,
            S.DROPPED,
            -340,
            -250,
            "One progress-note template for every discipline.",
            "Dropped: the electronic record could not support it. Revisit after the upgrade.",
        ),
    ],
}

# (topics, decisions, action items): the first entries are a CoP's early meetings.
MEETING_AGENDAS = [
    (
        "Getting started: what gets in the way of working together here?",
        "Meet monthly; pick one problem to work on first.",
        "Each member brings one example of a hand-off that went wrong.",
    ),
    (
        "Hand-offs that went wrong, and why.",
        "Most problems trace back to not knowing who does what. Start the first initiative.",
        "Champion drafts the initiative plan; facilitator shares examples from other sites.",
    ),
    (
        "First initiative: plan and who does what.",
        "Start on the 1st of next month; review in six weeks.",
        "Manager books a room; each profession names one contact.",
    ),
    (
        "Review of the first six weeks.",
        "Keep going with two changes suggested by staff.",
        "Update the one-page description for new staff and students.",
    ),
    (
        "Students on the unit: how can every profession mentor?",
        "Each student gets a mentor of another profession as well as their preceptor.",
        "Preceptors list activities a student of another profession could join.",
    ),
    (
        "What would we tell another site starting a community of practice?",
        "Write up what worked for the outcomes report.",
        "Facilitator drafts; members comment before next meeting.",
    ),
]

SESSION_NOTES = {
    Activity.SHADOWING: "Shadowed {pro} for the morning and discussed how their work shapes the plan.",
    Activity.JOINT_ASSESSMENT: "Assessed a patient together with {pro}; agreed one shared care plan.",
    Activity.IP_ROUNDS: "Joined interprofessional rounds; presented one patient to the whole team.",
    Activity.CASE_DISCUSSION: "Case discussion of a complex discharge with {pro}.",
    Activity.ROLE_INTERVIEW: "Interviewed {pro} about their role, training and what they need from others.",
    Activity.DEBRIEF: "Debrief of the week: what surprised the student about other professions' work.",
}

REFLECTIONS = [
    "I didn't know the pharmacist reviews every admission. I'll ask them earlier next time.",
    "Watching the OT assess the bathroom changed how I think about discharge safety.",
    "Rounds were faster when each profession spoke to the goal rather than their own list.",
    "Explaining my role to another student made me realise how much of it I take for granted.",
    "The social worker knew things about the family that changed the whole plan.",
]

# Quotes from completed follow-up interviews, by the person interviewed:
# (text, theme name, may publish).
QUOTES: dict[str, list[tuple[str, str, bool]]] = {
    PRECEPTOR_EMAIL: [
        (
            (
                "Having my student spend time with the OT and the pharmacist taught me as much as "
                "it taught her. We kept coming back to who actually does what on this unit, and I "
                "realised that most of our friction comes from not knowing what the other person "
                "is juggling. Once you can see how the pieces fit together, you stop working around "
                "each other and start working with each other."
            ),
            "Understanding of other professions' roles",
            True,
        ),
        (
            (
                "The student asked me why we page the pharmacist instead of walking over. "
                "I didn't have a good answer, so now we walk over."
            ),
            "Communication within teams",
            True,
        ),
    ],
    _email("Brenda Kowalski"): [
        (
            (
                "The Tuesday meeting is the one half hour when everyone is in the same room. "
                "Small problems get sorted there before they turn into incident reports."
            ),
            "Communication within teams",
            True,
        )
    ],
    _email("Daniel Okafor"): [
        (
            (
                "I used to hear about a discharge when the prescription landed on my desk. Now I "
                "hear about it at the meeting two days earlier and can reconcile properly."
            ),
            "Integration of work processes",
            True,
        )
    ],
    _email("Marie-Claude Gagnon"): [
        (
            (
                "Students from other programs come to my home-safety assessments now. Explaining "
                "why I look at the bathroom before the bed makes me sharper at my own job."
            ),
            "Student learning",
            True,
        )
    ],
    _email("Tom Brennan"): [
        (
            (
                "I had no idea how much of the night shift went into re-positioning patients we had "
                "just mobilised. We plan mobility together now, and patients do better for it."
            ),
            "Patient care",
            True,
        )
    ],
    _email("Megan O'Rourke"): [
        (
            (
                "Discharge used to be a relay where the baton got dropped at every hand-off. Now the "
                "social worker, the physio and I plan it together on day two, and families hear "
                "one story instead of four."
            ),
            "Admission and discharge processes",
            True,
        )
    ],
    _email("Hiroshi Tanaka"): [
        (
            (
                "People stop me in the hallway with a question instead of paging me. It sounds "
                "minor, but it tells you the relationships have changed."
            ),
            "Relationships among professionals",
            True,
        )
    ],
    _email("Carlos Mendes"): [
        (
            "I get the referral on day one now, not the afternoon before the patient leaves.",
            "Admission and discharge processes",
            True,
        )
    ],
    _email("Fatima Malik"): [
        (
            (
                "I come to rounds knowing the allied health input is already there, so my part is "
                "shorter and better informed."
            ),
            "Integration of work processes",
            False,
        )
    ],
    _email("Sarah Whitehorse"): [
        (
            (
                "The lunch-and-learns were simple, but after each one the referrals we got from "
                "other disciplines were better aimed."
            ),
            "Understanding of other professions' roles",
            True,
        )
    ],
    _email("Jenna Morrison"): [
        (
            (
                "The community gave us permission to try things. Not everything worked, but nobody "
                "was blamed for an idea that didn't."
            ),
            "Work environment",
            True,
        )
    ],
    _email("Samuel Adeyemi"): [
        (
            (
                "With one person doing every intake, patients tell their story once and we all read "
                "the same summary before the first team conference."
            ),
            "Admission and discharge processes",
            True,
        )
    ],
    _email("Leah Goldberg"): [
        (
            (
                "Nursing students sat in on my swallowing assessments, and now I get a call before "
                "a tray goes in, not after a cough."
            ),
            "Patient care",
            True,
        )
    ],
    _email("Yuki Sato"): [
        (
            "The morning huddle costs ten minutes and saves me hours of phone tag.",
            "Communication within teams",
            True,
        )
    ],
    _email("Rebecca Stone"): [
        (
            (
                "Honestly, the first few meetings felt like time away from patients. It took a few "
                "months before I saw what they were for."
            ),
            "Work environment",
            False,
        )
    ],
    _email("Karen Dubois"): [
        (
            (
                "Families notice that we speak with one voice now. The care conference makes us "
                "agree before we talk to them, not after."
            ),
            "Communication within teams",
            True,
        )
    ],
    _email("Ed Sinclair"): [
        (
            (
                "I used to feel like the extra on the team. Being asked what I see in residents "
                "during activities changed that."
            ),
            "Relationships among professionals",
            True,
        )
    ],
    STUDENT_EMAIL: [
        (
            (
                "I expected to learn nursing from a nurse. I learned just as much from the recreation "
                "therapist about how residents spend the other twenty-two hours of their day."
            ),
            "Student learning",
            True,
        )
    ],
    _email("Nora Lindgren"): [
        (
            (
                "The debriefs with students from three programs were the best part. We saw the same "
                "patient and noticed completely different things."
            ),
            "Student learning",
            True,
        )
    ],
    _email("Jacob Winters"): [
        (
            (
                "Working with a physiotherapy student on the same patient showed me how one sedating "
                "medication can undo a whole morning of mobility work."
            ),
            "Understanding of other professions' roles",
            True,
        )
    ],
    _email("Leila Nasser"): [
        (
            (
                "I can now explain my role to a physician in one sentence, which I couldn't do "
                "before this placement."
            ),
            "Student learning",
            True,
        )
    ],
}

# Follow-ups that did not end in an interview, by participant email.
FOLLOWUP_EXCEPTIONS = {
    _email("Doug Harper"): FollowUpStatus.DECLINED,
    _email("Patrick Doyle"): FollowUpStatus.MISSED,
}

SPEAKER_NOUNS = {
    "nursing": "Nurse",
    "lpn": "Licensed practical nurse",
    "medicine": "Physician",
    "pharmacy": "Pharmacist",
    "physiotherapy": "Physiotherapist",
    "occupational-therapy": "Occupational therapist",
    "social-work": "Social worker",
    "respiratory-therapy": "Respiratory therapist",
    "dietetics": "Dietitian",
    "speech-language-pathology": "Speech-language pathologist",
    "paramedicine": "Paramedic",
    "recreation-therapy": "Recreation therapist",
    "psychology": "Psychologist",
}


# --- Loader --------------------------------------------------------------------------
#
# Rows are written in bulk (a few queries per model, not per row) so that the loader stays
# fast enough to run at every start-up: each step fetches the rows it may already have
# made, creates the missing ones with one bulk_create and updates the rest with one
# bulk_update.


@dataclass
class DemoResult:
    logins: list[tuple[str, str, str]]  # (role, email, password)
    counts: dict[str, int] = field(default_factory=dict)


def _key_value(value):
    return value.pk if isinstance(value, models.Model) else value


def _upsert(
    model: type[models.Model],
    rows: list[dict],
    key: tuple[str, ...],
    existing: models.QuerySet,
    *,
    positional: bool = False,
    update: tuple[str, ...] | None = None,
    prune: bool = False,
) -> list:
    """Create or update one `model` row per dict in `rows`; return them in `rows` order.

    A row matches the existing row with the same values in `key`. With `positional`, `key`
    names the owner (rows without a natural key, e.g. a CoP's meetings) and a row matches
    the owner's existing row at the same position in primary-key order. Existing rows get
    the row's values for the fields in `update` (default: all but the key), and only rows
    that differ are written, so a second run the same day writes almost nothing. With
    `prune`, existing rows that no row matches are deleted first, before any write, so a
    changed row never collides with the stale one under a unique constraint."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    attnames = [fields[name].attname for name in key]
    position: dict[tuple, int] = defaultdict(int)

    def numbered(owner: tuple) -> tuple:
        if not positional:
            return owner
        position[owner] += 1
        return (*owner, position[owner])

    found = {}
    for obj in existing.order_by("pk"):
        # The oldest row wins a key (the demo made it), should someone add a look-alike.
        found.setdefault(numbered(tuple(getattr(obj, a) for a in attnames)), obj)
    position.clear()
    objects, to_create, to_update, changed = [], [], [], set()
    for values in rows:
        obj = found.pop(numbered(tuple(_key_value(values[name]) for name in key)), None)
        if obj is None:
            obj = model(**values)
            to_create.append(obj)
        else:
            differs = False
            for name, value in values.items():
                if update is not None and name not in update:
                    continue
                if getattr(obj, fields[name].attname) != _key_value(value):
                    changed.add(name)
                    differs = True
                setattr(obj, name, value)  # also caches related objects for later steps
            if differs:
                to_update.append(obj)
        objects.append(obj)
    if prune and found:
        model.objects.filter(pk__in=[obj.pk for obj in found.values()]).delete()
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed))
    model.objects.bulk_create(to_create)
    return objects


def _set_m2m(descriptor, wanted: dict[models.Model, list[models.Model]]) -> None:
    """Make each owner's many-to-many set exactly `wanted[owner]`, in a few queries."""
    through = descriptor.through
    source = descriptor.field.m2m_column_name()
    target = descriptor.field.m2m_reverse_name()
    desired = {(owner.pk, item.pk) for owner, items in wanted.items() for item in items}
    current = {
        (row[1], row[2]): row[0]
        for row in through.objects.filter(**{f"{source}__in": [o.pk for o in wanted]}).values_list(
            "pk", source, target
        )
    }
    stale = [pk for pair, pk in current.items() if pair not in desired]
    if stale:
        through.objects.filter(pk__in=stale).delete()
    through.objects.bulk_create(
        [through(**{source: s, target: t}) for s, t in sorted(desired - current.keys())]
    )


def _demo_password_hash() -> str:
    """The one hash every demo account shares. Hashing is slow (a second or more), so it is
    made once per run, with a fixed salt so that a second run finds every password unchanged
    and writes nothing; and when the admin account already holds that hash under the
    current hasher, it is reused without hashing at all. Only this loader makes hashes with
    this salt (set_password draws a random one), and the password is public anyway."""
    hasher = get_hasher()
    stored = User.objects.filter(email=ADMIN_EMAIL).values_list("password", flat=True).first()
    if stored and stored.startswith(f"{hasher.algorithm}$"):
        try:
            decoded = hasher.decode(stored)
        except ValueError:
            decoded = {}
        if decoded.get("salt") == DEMO_PASSWORD_SALT and not hasher.must_update(stored):
            return stored
    return make_password(DEMO_PASSWORD, salt=DEMO_PASSWORD_SALT, hasher=hasher)


class _Loader:
    def __init__(self, today: dt.date):
        self.today = today
        self.rng = random.Random(SEED)
        self.password = _demo_password_hash()
        self.professions = Profession.objects.in_bulk(field_name="code")
        self.domains = list(
            CompetencyDomain.objects.filter(framework__code="cihc-2010").order_by("order")
        )
        self.themes = {theme.name: theme for theme in Theme.objects.all()}
        self.site_specs = {spec.key: spec for spec in SITES}
        self.users: dict[str, User] = {}
        self.programs: dict[str, Program] = {}
        self.sites: dict[str, Site] = {}
        self.units: dict[tuple[str, str], Unit] = {}
        self.cops: dict[str, CommunityOfPractice] = {}
        self.memberships: dict[str, list[Membership]] = {}
        self.placements: list[tuple[Placement, PlacementSpec]] = []
        self.mentors: dict[int, list[User]] = {}

    # Dates -----------------------------------------------------------------------------
    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def due_on(self, start: dt.date) -> dt.date:
        return start + relativedelta(months=settings.FOLLOWUP_DELAY_MONTHS)

    def facilitators_of(self, site_key: str) -> list[User]:
        return [self.users[email] for email in self.site_specs[site_key].facilitators]

    # People ----------------------------------------------------------------------------
    def load_people(self) -> None:
        programs = [
            {"institution": institution, "name": name, "profession": self.professions[code]}
            for name, institution, code in PROGRAMS.values()
        ]
        saved = _upsert(Program, programs, ("institution", "name"), Program.objects.all())
        self.programs = dict(zip(PROGRAMS, saved, strict=True))

        def person(email, full_name, profession, **flags) -> dict:
            return {
                "email": email,
                "full_name": full_name,
                "profession": profession,
                "phone": "",
                "password": self.password,
                "is_active": True,
                "is_facilitator": False,
                "is_preceptor": False,
                "is_student": False,
                "is_staff": False,
                "is_superuser": False,
                **flags,
            }

        rows = [person(ADMIN_EMAIL, "Rowan Ellis", None, is_staff=True, is_superuser=True)]
        for name, email, code, phone in FACILITATORS:
            rows.append(
                person(email, name, self.professions[code], is_facilitator=True, phone=phone)
            )
        for members in MEMBERS.values():
            for spec in members:
                rows.append(
                    person(
                        spec.address,
                        spec.name,
                        self.professions[spec.profession],
                        is_preceptor=spec.preceptor,
                    )
                )
        for spec in STUDENTS:
            profession = self.programs[spec.program].profession
            rows.append(person(spec.address, spec.name, profession, is_student=True))
        emails = [row["email"] for row in rows]
        users = _upsert(User, rows, ("email",), User.objects.filter(email__in=emails))
        self.users = {user.email: user for user in users}

    # Sites, CoPs, memberships ----------------------------------------------------------
    def load_sites(self) -> None:
        rows = [
            {
                "name": spec.name,
                "kind": spec.kind,
                "zone": spec.zone,
                "city": spec.city,
                "address": spec.address,
                "phone": spec.phone,
                "is_active": True,
            }
            for spec in SITES
        ]
        names = [spec.name for spec in SITES]
        sites = _upsert(Site, rows, ("name",), Site.objects.filter(name__in=names))
        self.sites = dict(zip(self.site_specs, sites, strict=True))
        _set_m2m(
            Site.facilitators,
            {self.sites[key]: self.facilitators_of(key) for key in self.site_specs},
        )

        rows = [
            {"site": self.sites[spec.key], "name": name, "description": description}
            for spec in SITES
            for name, description in spec.units
        ]
        units = _upsert(Unit, rows, ("site", "name"), Unit.objects.filter(site__in=sites))
        self.units = {(u.site_id, u.name): u for u in units}

        rows = [
            {
                "site": self.sites[spec.key],
                "name": spec.cop_name,
                "focus": spec.cop_focus,
                "started_on": self.day(spec.cop_started),
                "status": CoPStatus.ACTIVE,
            }
            for spec in SITES
        ]
        existing = CommunityOfPractice.objects.filter(site__in=sites)
        cops = _upsert(CommunityOfPractice, rows, ("site", "name"), existing)
        self.cops = dict(zip(self.site_specs, cops, strict=True))
        _set_m2m(
            CommunityOfPractice.facilitators,
            {self.cops[key]: self.facilitators_of(key) for key in self.site_specs},
        )

        rows = [
            {
                "community": self.cops[key],
                "person": self.users[spec.address],
                "profession": self.professions[spec.profession],
                "role": spec.role,
                "joined_on": self.day(spec.joined),
                "left_on": self.day(spec.left) if spec.left is not None else None,
            }
            for key, members in MEMBERS.items()
            for spec in members
        ]
        existing = Membership.objects.filter(community__in=cops)
        memberships = _upsert(Membership, rows, ("community", "person"), existing)
        for key in self.site_specs:
            self.memberships[key] = [m for m in memberships if m.community == self.cops[key]]

    def load_capacity(self) -> None:
        periods = [(self.day(-60), self.day(60)), (self.day(61), self.day(180))]
        rows = [
            {
                "site": self.sites[spec.key],
                "unit": None,
                "profession": self.professions[code],
                "period_start": start,
                "period_end": end,
                "places": places,
            }
            for spec in SITES
            for start, end in periods
            for code, places in spec.capacity
        ]
        existing = Capacity.objects.filter(site__in=self.sites.values(), unit__isnull=True)
        # Each (site, profession) has one row per period, matched in period order.
        _upsert(Capacity, rows, ("site", "profession"), existing, positional=True)

    def load_meetings(self) -> None:
        rows, attendees = [], []
        for spec in SITES:
            members = self.memberships[spec.key]
            # Evenly spread from two weeks after the CoP started until a week ago.
            first, last = spec.cop_started + 14, -7
            count = min(len(MEETING_AGENDAS), (last - first) // 49 + 1)
            for index in range(count):
                held_on = self.day(first + round(index * (last - first) / (count - 1)))
                topics, decisions, actions = MEETING_AGENDAS[index]
                rows.append(
                    {
                        "community": self.cops[spec.key],
                        "held_on": held_on,
                        "duration_minutes": 60 if index % 2 == 0 else 45,
                        "topics": topics,
                        "decisions": decisions,
                        "action_items": actions,
                        "recorded_by": self.users[spec.facilitators[0]],
                    }
                )
                present = [
                    m
                    for m in members
                    if m.joined_on <= held_on and (m.left_on is None or m.left_on >= held_on)
                ]
                absent = self.rng.sample(present, k=max(0, len(present) - 3) // 3)
                attendees.append([m for m in present if m not in absent])
        # Meetings someone recorded in the browser are left alone: only the demo's own
        # (recognised by their agenda) are matched, and pruned when no longer wanted.
        existing = Meeting.objects.filter(
            community__in=self.cops.values(),
            topics__in=[topics for topics, _, _ in MEETING_AGENDAS],
        )
        meetings = _upsert(Meeting, rows, ("community",), existing, positional=True, prune=True)
        _set_m2m(Meeting.attendees, dict(zip(meetings, attendees, strict=True)))

    def load_initiatives(self) -> None:
        rows = [
            {
                "community": self.cops[key],
                "title": title,
                "theme": theme,
                "status": status,
                "started_on": self.day(started) if started is not None else None,
                "ended_on": self.day(ended) if ended is not None else None,
                "description": description,
                "outcome": outcome,
            }
            for key, initiatives in INITIATIVES.items()
            for title, theme, status, started, ended, description, outcome in initiatives
        ]
        existing = Initiative.objects.filter(community__in=self.cops.values())
        _upsert(Initiative, rows, ("community", "title"), existing)

    # Students, placements, mentoring teams ---------------------------------------------
    def load_placements(self) -> None:
        rows = [
            {
                "user": self.users[spec.address],
                "program": self.programs[spec.program],
                # From the email, not the list position: adding a student to the list must
                # not renumber the others (the number is unique per program).
                "student_number": f"D{zlib.crc32(spec.address.encode()) % 10**7:07d}",
                "cohort_year": self.today.year - number % 2,
            }
            for number, spec in enumerate(STUDENTS, start=1)
        ]
        existing = Student.objects.filter(user__in=[row["user"] for row in rows])
        students = _upsert(Student, rows, ("user", "program"), existing)

        rows, teams = [], []
        for student, student_spec in zip(students, STUDENTS, strict=True):
            for spec in student_spec.placements:
                start = self.day(spec.start)
                has_team = spec.status in (P.CONFIRMED, P.ACTIVE, P.COMPLETED)
                primary, ip_mentors = self.choose_mentors(student, spec)
                teams.append(
                    [(primary, MentorRole.PRIMARY)]
                    + [(m, MentorRole.IP_MENTOR) for m in ip_mentors]
                    if has_team
                    else []
                )
                rows.append(
                    {
                        "student": student,
                        "site": self.sites[spec.site],
                        "unit": self.units[(self.sites[spec.site].pk, spec.unit)]
                        if spec.unit
                        else None,
                        "start_date": start,
                        "end_date": start + dt.timedelta(weeks=spec.weeks, days=-1),
                        "model": spec.model,
                        "status": spec.status,
                        "contact": primary if has_team else None,
                        "created_by": self.facilitators_of(spec.site)[0],
                        "notes": "",
                    }
                )
        # A student has at most one placement per site in the demo: (student, site) is a key.
        existing = Placement.objects.filter(student__in=students)
        placements = _upsert(Placement, rows, ("student", "site"), existing)
        specs = [spec for student_spec in STUDENTS for spec in student_spec.placements]
        self.placements = list(zip(placements, specs, strict=True))
        self.load_status_history()

        rows = []
        for placement, team in zip(placements, teams, strict=True):
            self.mentors[placement.pk] = [mentor for mentor, _ in team]
            rows += [
                {"placement": placement, "mentor": m, "profession": m.profession, "role": role}
                for m, role in team
            ]
        existing = MentorAssignment.objects.filter(placement__in=placements)
        # The role is part of the key: a mentor whose role changes is replaced, so that the
        # old primary is gone before the new one arrives (one primary per placement).
        _upsert(MentorAssignment, rows, ("placement", "mentor", "role"), existing, prune=True)

    def choose_mentors(self, student: Student, spec: PlacementSpec) -> tuple[User, list[User]]:
        # Clinicians who were members of the site's CoP when the placement started.
        staff = [
            self.users[member.address]
            for member in MEMBERS[spec.site]
            if member.preceptor and member.joined <= spec.start
        ]
        own = student.program.profession
        if spec.primary:
            primary = self.users[spec.primary]
        else:
            same = [u for u in staff if u.profession == own]
            primary = same[0] if same else staff[0]
        if spec.model == TRAD:
            return primary, []
        if spec.ip_mentors:
            return primary, [self.users[email] for email in spec.ip_mentors]
        others = [u for u in staff if u != primary and u.profession != own]
        return primary, self.rng.sample(others, k=min(len(others), self.rng.randint(1, 2)))

    def load_status_history(self) -> None:
        steps = {
            P.REQUESTED: [("", P.REQUESTED)],
            P.CONFIRMED: [("", P.REQUESTED), (P.REQUESTED, P.CONFIRMED)],
            P.ACTIVE: [("", P.REQUESTED), (P.REQUESTED, P.CONFIRMED), (P.CONFIRMED, P.ACTIVE)],
            P.COMPLETED: [
                ("", P.REQUESTED),
                (P.REQUESTED, P.CONFIRMED),
                (P.CONFIRMED, P.ACTIVE),
                (P.ACTIVE, P.COMPLETED),
            ],
            P.CANCELLED: [("", P.REQUESTED), (P.REQUESTED, P.CANCELLED)],
        }
        rows, times = [], []
        for placement, spec in self.placements:
            start, end = placement.start_date, placement.end_date
            when = {
                P.REQUESTED: min(start - dt.timedelta(days=60), self.day(-20)),
                P.CONFIRMED: min(start - dt.timedelta(days=21), self.day(-5)),
                P.ACTIVE: start,
                P.COMPLETED: end + dt.timedelta(days=1),
                P.CANCELLED: self.day(-3),
            }
            for old, new in steps[spec.status]:
                rows.append(
                    {
                        "placement": placement,
                        "from_status": old,
                        "to_status": new,
                        "changed_by": placement.created_by,
                        "note": "",
                    }
                )
                times.append(self.at(when[new], 9))
        placements = [placement for placement, _ in self.placements]
        existing = PlacementStatusChange.objects.filter(placement__in=placements)
        changes = _upsert(
            PlacementStatusChange, rows, ("placement",), existing, positional=True, prune=True
        )
        # changed_at is auto_now_add, so the history's real times are written afterwards.
        moved = []
        for change, changed_at in zip(changes, times, strict=True):
            if change.changed_at != changed_at:
                change.changed_at = changed_at
                moved.append(change)
        PlacementStatusChange.objects.bulk_update(moved, ["changed_at"])

    # Mentoring sessions ----------------------------------------------------------------
    def load_sessions(self) -> None:
        rng = self.rng
        placed = defaultdict(list)  # site key: placements with a team, active or completed
        for placement, spec in self.placements:
            if placement.status in (P.ACTIVE, P.COMPLETED) and self.mentors[placement.pk]:
                placed[spec.site].append(placement)
        rows, extras = [], []
        for key, placements in placed.items():
            for placement in placements:
                mentors = self.mentors[placement.pk]
                last = min(placement.end_date, self.day(-1))
                span = (last - placement.start_date).days
                if span < 1:
                    continue
                is_ip = placement.model == IP
                count = max(1, min(4 if is_ip else 2, span // 5))
                student = placement.student
                for index in range(count):
                    held_on = placement.start_date + dt.timedelta(
                        days=round(span * (index + 1) / (count + 1))
                    )
                    logger = mentors[index % len(mentors)]
                    professionals = [logger]
                    if is_ip:
                        others = [
                            m.person
                            for m in self.memberships[key]
                            if m.profession != logger.profession
                            and m.joined_on <= held_on
                            and (m.left_on is None or held_on <= m.left_on)
                        ]
                        professionals += rng.sample(others, k=min(len(others), rng.randint(1, 2)))
                        activity = rng.choice(list(Activity))
                    else:
                        activity = rng.choice([Activity.SHADOWING, Activity.DEBRIEF])
                    attendance = [(student, placement)]
                    joint = rng.random() < 0.45 or student.user.email == STUDENT_EMAIL
                    if is_ip and joint:
                        peers = [
                            p
                            for p in placements
                            if p.model == IP
                            and p.student.program.profession != student.program.profession
                            and p.start_date <= held_on <= p.end_date
                        ]
                        if peers:
                            peer = rng.choice(peers)
                            attendance.append((peer.student, peer))
                    guest = professionals[-1]
                    rows.append(
                        {
                            "site": placement.site,
                            "logged_by": logger,
                            "held_on": held_on,
                            "duration_minutes": rng.choice([30, 45, 60, 90]),
                            "activity": activity,
                            "notes": SESSION_NOTES[activity].format(
                                pro=f"the {SPEAKER_NOUNS[guest.profession.code].lower()}"
                            ),
                        }
                    )
                    reflections = [
                        rng.choice(REFLECTIONS) if rng.random() < 0.2 else "" for _ in attendance
                    ]
                    extras.append(
                        (
                            rng.sample(self.domains, k=rng.randint(1, 3)),
                            professionals,
                            list(zip(attendance, reflections, strict=True)),
                        )
                    )
        # Sessions have no natural key: each is the n-th its preceptor logged at the site.
        # Sessions someone logged in the browser are left alone: only the demo's own
        # (recognised by their notes) are matched, and pruned when no longer wanted.
        demo_notes = {
            template.format(pro=f"the {noun.lower()}")
            for template in SESSION_NOTES.values()
            for noun in SPEAKER_NOUNS.values()
        }
        existing = MentoringSession.objects.filter(
            site__in=self.sites.values(), notes__in=demo_notes
        )
        sessions = _upsert(
            MentoringSession, rows, ("site", "logged_by"), existing, positional=True, prune=True
        )
        _set_m2m(
            MentoringSession.domains,
            {session: domains for session, (domains, _, _) in zip(sessions, extras, strict=True)},
        )
        students, professionals = [], []
        for session, (_, people, attendance) in zip(sessions, extras, strict=True):
            for (student, placement), reflection in attendance:
                students.append(
                    {
                        "session": session,
                        "student": student,
                        "placement": placement,
                        "reflection": reflection,
                        "reflected_at": self.at(session.held_on, 17) if reflection else None,
                    }
                )
            professionals += [
                {"session": session, "person": person, "profession": person.profession}
                for person in people
            ]
        existing = SessionStudent.objects.filter(session__in=sessions)
        _upsert(SessionStudent, students, ("session", "student"), existing, prune=True)
        existing = SessionProfessional.objects.filter(session__in=sessions)
        _upsert(SessionProfessional, professionals, ("session", "person"), existing, prune=True)

    # Follow-ups ------------------------------------------------------------------------
    def load_followups(self) -> None:
        subjects = []  # (participant, membership, placement, site key, start, speaker role)
        for key, memberships in self.memberships.items():
            for membership in memberships:
                person = membership.person
                noun = SPEAKER_NOUNS[membership.profession.code]
                if membership.role == M.MANAGER:
                    role = "Unit manager"
                elif person.is_preceptor:
                    role = f"{noun} preceptor"
                else:
                    role = f"{noun}, CoP member"
                subjects.append((person, membership, None, key, membership.joined_on, role))
        for placement, spec in self.placements:
            if placement.status in (P.CONFIRMED, P.ACTIVE, P.COMPLETED):
                role = f"{placement.student.program.profession.name} student"
                subjects.append(
                    (placement.student.user, None, placement, spec.site, placement.start_date, role)
                )

        buckets: dict[str, int] = defaultdict(int)
        rows, plans = [], []
        for participant, membership, placement, key, start, role in subjects:
            due_on = self.due_on(start)
            until_due = (due_on - self.today).days
            if until_due < -20:
                bucket = "done"
            elif until_due < 0:
                bucket = "overdue"
            elif until_due <= 21:
                bucket = "due"
            else:
                bucket = "later"
            position = buckets[bucket]
            buckets[bucket] += 1
            site = self.sites[key]
            facilitators = self.facilitators_of(key)
            mode = [InterviewMode.IN_PERSON, InterviewMode.VIDEO, InterviewMode.PHONE][position % 3]
            location = {
                InterviewMode.IN_PERSON: f"Meeting room, {site.name}",
                InterviewMode.VIDEO: f"https://meet.{DEMO_DOMAIN}/followup-{participant.pk}",
                InterviewMode.PHONE: "The interviewer calls the participant",
            }[mode]
            row = {
                "participant": participant,
                "membership": membership,
                "placement": placement,
                "site": site,
                "due_on": due_on,
                "status": FollowUpStatus.PENDING,
                "interviewer": None,
                "scheduled_at": None,
                "mode": "",
                "location": "",
            }
            conducted_on = None
            if bucket == "done":
                status = FOLLOWUP_EXCEPTIONS.get(participant.email, FollowUpStatus.COMPLETED)
                conducted_on = min(due_on + dt.timedelta(days=position % 10 - 3), self.day(-2))
                row["status"] = status
                if status != FollowUpStatus.DECLINED:
                    row.update(
                        interviewer=facilitators[0],
                        scheduled_at=self.at(conducted_on, 10),
                        mode=mode,
                        location=location,
                    )
            elif (bucket == "overdue" and position % 3 == 1) or (
                bucket == "due" and position % 2 == 1
            ):
                row.update(
                    status=FollowUpStatus.SCHEDULED,
                    interviewer=facilitators[-1],
                    scheduled_at=self.at(self.day(2 + position % 5), 10 + position % 4),
                    mode=mode,
                    location=location,
                )
            rows.append(row)
            plans.append((bucket, facilitators, conducted_on, role))

        by_membership = [row for row in rows if row["membership"]]
        by_placement = [row for row in rows if row["placement"]]
        existing = FollowUp.objects.filter(membership__in=[r["membership"] for r in by_membership])
        followups = _upsert(FollowUp, by_membership, ("membership",), existing)
        # A demo placement that is no longer placed (requested, cancelled) has no follow-up.
        existing = FollowUp.objects.filter(placement__in=[p for p, _ in self.placements])
        followups += _upsert(FollowUp, by_placement, ("placement",), existing, prune=True)
        plans = [p for r, p in zip(rows, plans, strict=True) if r["membership"]] + [
            p for r, p in zip(rows, plans, strict=True) if r["placement"]
        ]
        self.load_records(followups, plans)
        self.load_reminders(followups, plans)

    def load_records(self, followups: list[FollowUp], plans: list[tuple]) -> None:
        rows, themes, quotes = [], [], []
        for followup, (_, _, conducted_on, role) in zip(followups, plans, strict=True):
            if followup.status != FollowUpStatus.COMPLETED:
                continue
            said = QUOTES.get(followup.participant.email, [])
            rows.append(
                {
                    "followup": followup,
                    "consent_given": True,
                    "consent_recorded_at": self.at(conducted_on, 10),
                    "conducted_on": conducted_on,
                    "notes": "Consent given before recording. Interview of about 40 minutes; "
                    "transcript coded by two facilitators.",
                    "recorded_by": followup.interviewer,
                }
            )
            coded = {self.themes[theme] for _, theme, _ in said}
            extra = self.rng.sample(sorted(self.themes.values(), key=lambda t: t.name), k=2)
            themes.append(coded | set(extra[: 1 + len(said) % 2]))
            quotes.append(
                [
                    {
                        "text": text,
                        "speaker_role": role,
                        "may_publish": publish,
                        "theme": self.themes[theme],
                    }
                    for text, theme, publish in said
                ]
            )
        demo_followups = FollowUp.objects.filter(pk__in=[f.pk for f in followups])
        InterviewRecord.objects.filter(followup__in=demo_followups).exclude(
            followup__status=FollowUpStatus.COMPLETED
        ).delete()
        existing = InterviewRecord.objects.filter(followup__in=demo_followups)
        records = _upsert(InterviewRecord, rows, ("followup",), existing)
        _set_m2m(InterviewRecord.themes, dict(zip(records, themes, strict=True)))
        rows = [
            {"record": record, **quote}
            for record, said in zip(records, quotes, strict=True)
            for quote in said
        ]
        existing = Quote.objects.filter(record__in=records)
        _upsert(Quote, rows, ("record",), existing, positional=True, prune=True)

    def load_reminders(self, followups: list[FollowUp], plans: list[tuple]) -> None:
        rows = []
        for followup, (bucket, facilitators, _, _) in zip(followups, plans, strict=True):
            plan: list[tuple[str, dt.datetime, list[User]]] = []  # (kind, send at, recipients)
            if bucket == "due" and followup.status == FollowUpStatus.PENDING:
                send_at = self.at(followup.due_on - dt.timedelta(days=14), 8)
                plan.append((ReminderKind.DUE_SOON, send_at, facilitators))
            if followup.status == FollowUpStatus.SCHEDULED:
                send_at = followup.scheduled_at - dt.timedelta(days=1)
                plan.append(
                    (ReminderKind.DAY_BEFORE, send_at, [followup.interviewer, followup.participant])
                )
            if bucket == "overdue" and followup.status == FollowUpStatus.PENDING:
                kinds = [ReminderKind.OVERDUE_1, ReminderKind.OVERDUE_2, ReminderKind.OVERDUE_3]
                for week, kind in enumerate(kinds):
                    send_on = followup.due_on + dt.timedelta(days=1 + 7 * week)
                    if send_on <= self.day(7):
                        plan.append((kind, self.at(send_on, 8), facilitators))
            for index, (kind, send_at, recipients) in enumerate(plan):
                # Earlier reminders went out; the latest waits for the sweep.
                sent_at = None if index == len(plan) - 1 else send_at + dt.timedelta(minutes=1)
                rows += [
                    {
                        "followup": followup,
                        "recipient": recipient,
                        "kind": kind,
                        "send_at": send_at,
                        "sent_at": sent_at,
                    }
                    for recipient in recipients
                ]
        existing = Reminder.objects.filter(followup__in=followups)
        # A reminder the worker has sent since the last run stays sent.
        _upsert(
            Reminder,
            rows,
            ("followup", "recipient", "kind"),
            existing,
            update=("send_at",),
            prune=True,
        )

    # All -------------------------------------------------------------------------------
    def load(self) -> DemoResult:
        self.load_people()
        self.load_sites()
        self.load_capacity()
        self.load_meetings()
        self.load_initiatives()
        self.load_placements()
        self.load_sessions()
        self.load_followups()
        return DemoResult(
            logins=[
                ("admin", ADMIN_EMAIL, DEMO_PASSWORD),
                ("facilitator", FACILITATOR_EMAIL, DEMO_PASSWORD),
                ("preceptor", PRECEPTOR_EMAIL, DEMO_PASSWORD),
                ("student", STUDENT_EMAIL, DEMO_PASSWORD),
            ],
            counts={
                "sites": Site.objects.count(),
                "communities of practice": CommunityOfPractice.objects.count(),
                "people": User.objects.count(),
                "placements": Placement.objects.count(),
                "mentoring sessions": MentoringSession.objects.count(),
                "follow-ups": FollowUp.objects.count(),
            },
        )


def load_demo(*, today: dt.date | None = None) -> DemoResult:
    """Create or refresh the demo world. Run it inside a transaction; safe to repeat."""
    return _Loader(today or timezone.localdate()).load()
