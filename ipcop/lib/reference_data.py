"""Reference data with exact names, shared by data migrations, the apps' post_migrate
seeding (each app's apps.py) and the demo loader.

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
