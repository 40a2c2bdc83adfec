"""Reference data with exact names, shared by data migrations and the demo loader.

Kept here (not in a migration) so that migrations and `load_demo` read one list.
Migrations copy what they need at the time they run; changing a list later needs a new
data migration, never an edit of an old one.
"""

PROFESSIONS: list[tuple[str, str]] = [
    ("nursing", "Nursing"),
    ("lpn", "Licensed practical nursing"),
    ("medicine", "Medicine"),
    ("pharmacy", "Pharmacy"),
    ("physiotherapy", "Physiotherapy"),
    ("occupational-therapy", "Occupational therapy"),
    ("social-work", "Social work"),
    ("respiratory-therapy", "Respiratory therapy"),
    ("dietetics", "Dietetics"),
    ("speech-language-pathology", "Speech-language pathology"),
    ("paramedicine", "Paramedicine"),
    ("recreation-therapy", "Recreation therapy"),
    ("psychology", "Psychology"),
]

# (code, name, year, is_default, [(domain code, domain name), ...])
FRAMEWORKS: list[tuple[str, str, int, bool, list[tuple[str, str]]]] = [
    (
        "cihc-2010",
        "CIHC National Interprofessional Competency Framework (2010)",
        2010,
        True,
        [
            ("ip-communication", "Interprofessional Communication"),
            ("patient-centred-care", "Patient/Client/Family/Community-Centred Care"),
            ("role-clarification", "Role Clarification"),
            ("team-functioning", "Team Functioning"),
            ("collaborative-leadership", "Collaborative Leadership"),
            ("ip-conflict-resolution", "Interprofessional Conflict Resolution"),
        ],
    ),
    (
        "cihc-2024",
        "CIHC Competency Framework for Advancing Collaboration (2024)",
        2024,
        False,
        [
            ("relationship-focused-care", "Relationship-Focused Care/Services"),
            ("team-communication", "Team Communication"),
            ("role-clarification-negotiation", "Role Clarification and Negotiation"),
            ("team-functioning", "Team Functioning"),
            ("team-differences", "Team Differences/Disagreements Processing"),
            ("collaborative-leadership", "Collaborative Leadership"),
        ],
    ),
    (
        "ipec-2023",
        "IPEC Core Competencies for Interprofessional Collaborative Practice (2023, version 3)",
        2023,
        False,
        [
            ("values-ethics", "Values and Ethics"),
            ("roles-responsibilities", "Roles and Responsibilities"),
            ("communication", "Communication"),
            ("teams-teamwork", "Teams and Teamwork"),
        ],
    ),
]

# The codebook's starting themes: what the source project found changed, plus student
# learning (PRODUCT.md).
THEMES: list[tuple[str, str]] = [
    ("Communication within teams", "How professionals share information and talk to each other."),
    ("Admission and discharge processes", "Intake, admission and discharge of patients."),
    (
        "Understanding of other professions' roles",
        "Knowing what colleagues of other professions do.",
    ),
    ("Relationships among professionals", "Trust, respect and rapport across professions."),
    ("Patient care", "Effects on the care patients and families receive."),
    ("Integration of work processes", "Work that was separate now done together."),
    ("Work environment", "How it feels to work at the site."),
    ("Student learning", "What students learned about interprofessional practice."),
]


def seed_reference_data(**kwargs) -> None:
    """Create or refresh the reference rows (idempotent).

    The data migrations seed them once; this runs on `post_migrate` as well, because a
    database flush (a transactional test's teardown, `manage.py flush`) empties every
    table and only post_migrate runs again afterwards."""
    from accounts.models import Profession
    from interviews.models import Theme
    from mentoring.models import CompetencyDomain, CompetencyFramework

    for code, name in PROFESSIONS:
        Profession.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, year, is_default, domains in FRAMEWORKS:
        framework, _ = CompetencyFramework.objects.get_or_create(
            code=code, defaults={"name": name, "year": year, "is_default": is_default}
        )
        for order, (domain_code, domain_name) in enumerate(domains, start=1):
            CompetencyDomain.objects.get_or_create(
                framework=framework,
                code=domain_code,
                defaults={"name": domain_name, "order": order},
            )
    for order, (name, description) in enumerate(THEMES, start=1):
        Theme.objects.get_or_create(
            name=name, defaults={"description": description, "order": order}
        )
