"""labs.ko.md keeps in step with labs.md: the same sections at the same levels, and the same code blocks.

The Korean guide is a translation: its prose and heading text differ, but what a learner copies (commands,
SQL, JSON) and where it sits in the guide must not. Each failure names the first section or block that
differs, so whoever edits labs.md knows what to translate.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ENGLISH = REPO / "labs.md"
KOREAN = REPO / "labs.ko.md"

FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})\s*(?P<language>[^\s`]*)")
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
# Code spans and link targets survive translation unchanged; in-page anchors do not (they follow the heading).
UNTRANSLATED = re.compile(r"`+(?P<span>[^`]+?)`+|\]\((?P<target>[^)#][^)]*)\)")
IN_PAGE_LINK = re.compile(r"\]\(#(?P<anchor>[^)]+)\)")


@dataclass(frozen=True)
class CodeBlock:
    language: str
    body: tuple[str, ...]


@dataclass
class Section:
    level: int  # 0 for the text before the first heading
    title: str
    code: list[CodeBlock]
    prose: list[str]

    def untranslated(self) -> set[str]:
        found = set()
        for line in [self.title, *self.prose]:
            for match in UNTRANSLATED.finditer(line):
                found.add(match["span"] or match["target"])
        return found


def sections(markdown: str) -> list[Section]:
    """The guide's sections in order, each with the fenced code blocks directly under its heading."""
    found = [Section(0, "(before the first heading)", [], [])]
    fence, language, body = None, "", []
    for line in markdown.split("\n"):
        if fence is not None:
            closing = line.strip()
            # CommonMark: a closing fence is the same character, at least as long as the opening one.
            if closing and set(closing) == {fence[0]} and len(closing) >= len(fence):
                found[-1].code.append(CodeBlock(language, tuple(body)))
                fence = None
            else:
                body.append(line)
        elif opening := FENCE.match(line):
            fence, language, body = opening["fence"], opening["language"], []
        elif heading := HEADING.match(line):
            found.append(Section(len(heading["hashes"]), heading["title"], [], []))
        else:
            found[-1].prose.append(line)
    if fence is not None:  # an unclosed fence runs to the end of the document
        found[-1].code.append(CodeBlock(language, tuple(body)))
    return found


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def describe(name: str, section: Section, position: int) -> str:
    return f"{name} has section {section.title!r} (level {section.level}, {ordinal(position)})"


def likeness(english: Section, korean: Section) -> float:
    """How surely two sections at the same level are one section and its translation (0 if levels differ)."""
    if english.level != korean.level:
        return 0.0
    spans_en, spans_ko = english.untranslated(), korean.untranslated()
    shared_spans = len(spans_en & spans_ko) / len(spans_en | spans_ko) if spans_en | spans_ko else 1.0
    return 1.0 + shared_spans + (1.0 if english.code == korean.code else 0.0)


def aligned(english: list[Section], korean: list[Section]) -> list[tuple[int | None, int | None]]:
    """Pairs (english index, korean index), None where one guide has a section the other lacks.

    Comparing levels position by position would blame the wrong neighbour when a section is added among
    siblings of the same level; aligning on what translation leaves untouched names the added one.
    """
    rows, cols = len(english) + 1, len(korean) + 1
    best = [[0.0] * cols for _ in range(rows)]
    for i in range(len(english) - 1, -1, -1):
        for j in range(len(korean) - 1, -1, -1):
            score = likeness(english[i], korean[j])
            paired = best[i + 1][j + 1] + score if score else 0.0
            best[i][j] = max(paired, best[i + 1][j], best[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < len(english) or j < len(korean):
        score = likeness(english[i], korean[j]) if i < len(english) and j < len(korean) else 0.0
        if score and best[i][j] == best[i + 1][j + 1] + score:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif j == len(korean) or (i < len(english) and best[i][j] == best[i + 1][j]):
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    return pairs


def structure_difference(english_text: str, korean_text: str) -> str | None:
    english, korean = sections(english_text), sections(korean_text)
    if [s.level for s in english] == [s.level for s in korean]:
        return None
    for i, j in aligned(english, korean):
        if j is None:
            return f"{describe('labs.md', english[i], i)} where labs.ko.md has none"
        if i is None:
            return f"{describe('labs.ko.md', korean[j], j)} where labs.md has none"
    raise AssertionError("unreachable: different level sequences always leave a section unpaired")


def code_difference(english_text: str, korean_text: str) -> str | None:
    def blocks(text):
        return [(section.title, block) for section in sections(text) for block in section.code]

    english, korean = blocks(english_text), blocks(korean_text)
    # zip stops at the shorter guide; a block only one guide has is reported after the loop.
    pairs = zip(english, korean, strict=False)
    for number, ((title_en, block_en), (title_ko, block_ko)) in enumerate(pairs, start=1):
        if block_en == block_ko:
            continue
        where = f"code block {number} (in section {title_en!r}; labs.ko.md: {title_ko!r}) differs"
        if block_en.language != block_ko.language:
            return f"{where}: language {block_en.language!r} in labs.md, {block_ko.language!r} in labs.ko.md"
        lines = zip(block_en.body, block_ko.body, strict=False)
        for line, (line_en, line_ko) in enumerate(lines, start=1):
            if line_en != line_ko:
                return f"{where} at line {line}: labs.md {line_en!r}, labs.ko.md {line_ko!r}"
        return f"{where}: {len(block_en.body)} lines in labs.md, {len(block_ko.body)} in labs.ko.md"
    if len(english) > len(korean):
        title, _ = english[len(korean)]
        return f"labs.md has code block {len(korean) + 1} (in section {title!r}) where labs.ko.md has none"
    if len(korean) > len(english):
        title, _ = korean[len(english)]
        return f"labs.ko.md has code block {len(english) + 1} (in section {title!r}) where labs.md has none"
    return None


def github_anchor(title: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped (Hangul kept), spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


@pytest.fixture(scope="module")
def guides():
    return ENGLISH.read_text(encoding="utf-8"), KOREAN.read_text(encoding="utf-8")


def test_both_guides_have_the_same_sections(guides):
    difference = structure_difference(*guides)
    assert difference is None, f"{difference}: translate the change into labs.ko.md"


def test_both_guides_have_the_same_code_blocks(guides):
    difference = code_difference(*guides)
    assert difference is None, f"{difference}: copy labs.md's block into labs.ko.md unchanged"


def test_each_guide_links_to_the_other_at_the_top(guides):
    english, korean = guides
    assert "한국어: [labs.ko.md](labs.ko.md)" in english.split("\n")[:5]
    assert "English: [labs.md](labs.md)" in korean.split("\n")[:5]


def test_korean_in_page_links_reach_a_heading(guides):
    _, korean = guides
    anchors = {github_anchor(section.title) for section in sections(korean)}
    broken = sorted({match["anchor"] for match in IN_PAGE_LINK.finditer(korean)} - anchors)
    assert not broken, f"labs.ko.md links to #{broken[0]}, which no heading of labs.ko.md produces"


# The checks above must name what broke. A small guide and its translation, shaped like the real pair
# (siblings at one level, some without code), broken one way at a time.
SMALL_ENGLISH = """# The labs

## Set-up

Start with `bin/lab up`:

```sh
bin/lab up
```

## The labs, in order

See `01_tour.ipynb`.

## Troubleshooting

Read `stl_load_errors`:

```sql
SELECT * FROM stl_load_errors;
```

### Troubleshooting in compose

Run `docker compose ps`.
"""
SMALL_KOREAN = """# 실습 가이드

## 실습 관련 설정

`bin/lab up`으로 시작합니다:

```sh
bin/lab up
```

## 실습 진행

`01_tour.ipynb`를 보세요.

## 문제 해결

`stl_load_errors`를 읽습니다:

```sql
SELECT * FROM stl_load_errors;
```

### compose에서 문제 해결

`docker compose ps`를 실행합니다.
"""
ADDED_SECTION = "## Redshift SQL you can use here\n\nFunctions such as `NVL`.\n\n## The labs, in order"


def edited(text, edit):
    if edit is None:
        return text
    before, after = edit
    assert text.count(before) == 1, f"the case expects {before!r} once"
    return text.replace(before, after)


def test_the_small_pair_agrees():
    assert structure_difference(SMALL_ENGLISH, SMALL_KOREAN) is None
    assert code_difference(SMALL_ENGLISH, SMALL_KOREAN) is None


@pytest.mark.parametrize(
    ("english_edit", "korean_edit", "compare", "expected"),
    [
        pytest.param(
            ("## The labs, in order", ADDED_SECTION),
            None,
            structure_difference,
            "labs.md has section 'Redshift SQL you can use here' (level 2, 3rd) where labs.ko.md has none",
            id="section-added-among-siblings",
        ),
        pytest.param(
            None,
            ("## 실습 진행", "## 실습 진행\n\n### 노트북 목록"),
            structure_difference,
            "labs.ko.md has section '노트북 목록' (level 3, 4th) where labs.md has none",
            id="section-added-to-labs.ko.md",
        ),
        pytest.param(
            ("### Troubleshooting in compose", "## Troubleshooting in compose"),
            None,
            structure_difference,
            "labs.md has section 'Troubleshooting in compose' (level 2, 5th) where labs.ko.md has none",
            id="heading-level-changed",
        ),
        pytest.param(
            None,
            ("```sh\nbin/lab up\n```", "```sh\nbin/lab up -x\n```"),
            code_difference,
            "code block 1 (in section 'Set-up'; labs.ko.md: '실습 관련 설정') differs at line 1: "
            "labs.md 'bin/lab up', labs.ko.md 'bin/lab up -x'",
            id="code-line-changed",
        ),
        pytest.param(
            ("```sql", "```postgresql"),
            None,
            code_difference,
            "code block 2 (in section 'Troubleshooting'; labs.ko.md: '문제 해결') differs: "
            "language 'postgresql' in labs.md, 'sql' in labs.ko.md",
            id="code-language-changed",
        ),
        pytest.param(
            ("Run `docker compose ps`.", "```sh\ndocker compose ps\n```"),
            None,
            code_difference,
            "labs.md has code block 3 (in section 'Troubleshooting in compose') where labs.ko.md has none",
            id="code-block-added",
        ),
    ],
)
def test_a_broken_copy_is_named(english_edit, korean_edit, compare, expected):
    assert compare(edited(SMALL_ENGLISH, english_edit), edited(SMALL_KOREAN, korean_edit)) == expected
