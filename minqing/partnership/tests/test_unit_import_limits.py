"""The unit import (红色矩阵 → 导入单位) refuses a spreadsheet over the import limits with the reason, on the
form, and imports none of its rows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from minqing.lib.errors import ActionError
from minqing.lib.tests.test_xlsx import sheet_xml, with_part
from minqing.org.models import Unit
from minqing.partnership import actions
from minqing.partnership.tests.test_lists import xlsx

ROWS = [[f"驻区单位{i}", "驻区单位", "瓜州路社区", "", "", "", "", "", "", ""] for i in range(3)]


@pytest.mark.parametrize(("limit", "value", "reason"), [
    ("IMPORT_MAX_ROWS", 2, "表格超过 2 行"),
    ("IMPORT_MAX_MEMBER_BYTES", 3_000, "解压后过大"),
    ("IMPORT_MAX_COLUMNS", 5, "超过 5 列"),
    ("IMPORT_MAX_CELL_CHARS", 4, "超过 4 个字符"),
])
def test_a_sheet_over_a_limit_is_refused_and_nothing_is_imported(cast, settings, limit, value, reason) -> None:
    settings.MINQING = {**settings.MINQING, limit: value}
    before = Unit.objects.count()
    with pytest.raises(ActionError, match=reason):
        actions.units_import(actor=cast.jiedao, content=xlsx(ROWS))
    assert Unit.objects.count() == before


def test_a_spreadsheet_bomb_gets_a_form_error_not_a_crash(cast) -> None:
    bomb = with_part("xl/worksheets/sheet1.xml", sheet_xml('<row r="1">' + "<c/>" * 200_000 + "</row>"))
    c = Client()
    c.force_login(cast.jiedao)
    page = c.post("/lists/units/import/", {"file": SimpleUploadedFile("u.xlsx", bomb)})
    assert page.status_code == 200 and "第 1 行的单元格过多" in page.content.decode()
