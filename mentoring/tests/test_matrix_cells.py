"""The site matrix's count cells carry their column's name (data-label), which a phone
shows beside each count when a student's row becomes a card; names are escaped."""

from types import SimpleNamespace

from mentoring.selectors import SiteMatrix
from mentoring.templatetags.mentoring_tags import matrix_cells


def test_each_count_cell_is_labelled_with_its_column_escaped():
    matrix = SiteMatrix(
        professions=[SimpleNamespace(name="Nursing"), SimpleNamespace(name='<b>"Pharm"')],
        frameworks=[
            (SimpleNamespace(name="CIHC"), [SimpleNamespace(name="Role clarification")]),
            (SimpleNamespace(name="Other"), [SimpleNamespace(name="Team functioning")]),
        ],
        rows=[],
    )
    row = {"professions": [2, 0], "domains": [[3], [None]]}
    html = str(matrix_cells(row, matrix))
    assert html == (
        '<td data-label="With Nursing">2</td>'
        '<td class="matrix-gap" data-label="With &lt;b&gt;&quot;Pharm&quot;">0</td>'
        '<td data-label="Role clarification">3</td>'
        '<td class="matrix-na" data-label="Team functioning"><span class="visually-hidden">'
        "not this student's framework</span>—</td>"
    )


def test_without_the_matrix_the_cells_are_unlabelled():
    html = str(matrix_cells({"professions": [1], "domains": [[0]]}))
    assert html == '<td>1</td><td class="matrix-gap">0</td>'
