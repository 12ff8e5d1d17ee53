"""Languages over signed HTTP: a person whose Slack locale is ko-KR reads every surface in Korean
(the App Home, the Nice job, the record modal, the resume, the export, the monthly prompt, the year
in review, an error report); their own choice in the App Home wins over Slack's locale; the
workspace's language (an admin's setting) is the channel's and everyone's whose language we don't
speak. Korean is asserted by strings of bot/locale/ko/LC_MESSAGES/messages.po, and by no English
source string of the surface being left; every message and view was accepted by the fake Slack."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALE_DIR
from bot.tasks.reflection_prompts import send_reflection_prompts
from bot.tasks.team_digest import post_team_digest
from bot.tasks.year_review import post_team_year_review_once
from storage.models import Entry, Person
from storage.types import Workspace
from tests import payloads
from tests.checks import assert_no_failed_calls, published_home
from tests.harness.clicks import settings_values, submit_dialog
from tests.harness.jobs import no_pause, quick_client
from tests.harness.people import KO_KR, korean_person, member
from tests.payloads import home_opened
from tests.rows import seed
from tests.uploads import uploaded

WS = Workspace(enterprise_id="", team_id="T0001")
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
# Monday 2 November 2026, 21:00 UTC: November's prompt is due everywhere.
NOVEMBER = datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
# What people write, in Korean too, so that no English in a surface can be theirs.
WHAT = "금요일 오후에 배포했다가 캐시가 터졌어요"
LESSON = "배포는 주 초반에, 플래그 뒤에서 천천히"
ITEM = "킬 스위치 추가"

# From the Korean catalogue, written out: a missing or English catalogue must fail these.
HOME_HEADER = "내 실패 이력서"  # "Your failure resume"
KOREAN_NICE_JOBS = {
    "잘했어요! 이렇게 적어 두는 것이 같은 일을 두 번 겪지 않는 방법이에요.",
    "잘했어요! 이력서에 담긴 실패 하나하나가 팀 모두가 간직할 배운 점이 돼요.",
    "잘했어요! 누가 아니라 무엇이 잘못됐는지 살펴볼 때 우리 모두 더 나아져요.",
    "잘했어요! 솔직하게 나눠 줘서 고마워요. 용기가 필요한 일이에요.",
    "잘했어요! 바로 이렇게 실수에서 배우는 일이 습관이 돼요.",
}
SORRY = "죄송해요, 저희 쪽에 문제가 생겼어요(오류 참조 번호: "


# ---- what English is left ----------------------------------------------------------------

PIECE_BREAKS = re.compile(r"\{[^}]*\}|`[^`]*`|<[^>]*>|[*_~>•\n]")


@cache
def english_source() -> tuple[frozenset[str], frozenset[str]]:
    """The English msgids a Korean surface must not show: whole ones (single words such as "Export",
    matched against whole texts) and their multi-word pieces between placeholders and markup
    (matched anywhere), leaving out what the Korean translation keeps as it is (such as "Slack")."""
    with (LOCALE_DIR / "messages.pot").open("rb") as pot_file:
        pot = read_po(pot_file)
    with (LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        korean = read_po(po_file, locale="ko")
    whole, pieces = set(), set()
    for message in pot:
        if not message.id:
            continue
        translated = korean.get(message.id)
        strings = translated.string if translated else ""
        kept = " ".join(strings) if isinstance(strings, tuple) else strings
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            if msgid not in kept:
                whole.add(msgid.strip())
            for piece in PIECE_BREAKS.split(msgid):
                piece = piece.strip(" .,:;!?()·-…/")
                if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2 and len(piece) >= 8 and piece not in kept:
                    pieces.add(piece)
    return frozenset(whole), frozenset(pieces)


def texts_of(node) -> list[str]:
    """Every text a person reads in a message, a view or a list of them: the text objects, and a
    message's own `text`."""
    found = []
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            found.append(node["text"])
        elif isinstance(node.get("text"), str):
            found.append(node["text"])
        for key, value in node.items():
            if key != "text" or not isinstance(value, str):
                found += texts_of(value)
    elif isinstance(node, list):
        for value in node:
            found += texts_of(value)
    return found


def english_left(*surfaces) -> list[str]:
    """The English source strings still in these surfaces (dicts, lists, or plain strings)."""
    texts = [s for surface in surfaces for s in ([surface] if isinstance(surface, str) else texts_of(surface))]
    whole, pieces = english_source()
    return sorted({t for t in texts if t.strip() in whole} | {p for p in pieces if any(p in t for t in texts)})


def test_the_english_detector_finds_english():
    """The checks below mean something: an English surface is caught."""
    header = {"type": "header", "text": {"type": "plain_text", "text": "Export"}}
    left = english_left({"text": "Sent to you in a direct message.", "blocks": [header]})
    assert "Export" in left and "Sent to you in a direct message" in left
    assert english_left("다이렉트 메시지로 보내 드렸어요. See you in a direct message") == []
    assert english_left({"text": "다이렉트 메시지로 보내 드렸어요."}) == []


# ---- helpers --------------------------------------------------------------------------------


def learn_the_locale(bot, user: str = "U1") -> dict:
    """A quick `/fail`: its Nice job is a worker's, which asks Slack for the person's locale and keeps
    it on their row (they have an entry now). Returns the Nice job as posted to the response_url."""
    bot.command(WHAT, user=user, key="quick")
    [(_key, nice_job)] = bot.fake.wait_for_responses()
    bot.drain()  # what follows the Nice job, done
    return nice_job


def remembered_locale(bot, user: str = "U1") -> str | None:
    with bot.session_factory() as session:
        person = session.get(Person, ("", "T0001", user))
        return person.slack_locale if person else None


def home_headers(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def choose_language(bot, value: str, user: str = "U1"):
    action = {
        "type": "static_select",
        "action_id": "home_language_select",
        "block_id": "home_language_block",
        "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
    }
    return bot.interact(payloads.block_actions(action, user=user, container="view"))


def language_menu(view: dict) -> dict:
    block = next(b for b in view["blocks"] if b.get("block_id") == "home_language_block")
    [menu] = block["elements"]
    return menu


# ---- a ko-KR person, surface by surface ------------------------------------------------------


def test_the_app_home_is_korean_for_a_person_whose_slack_locale_is_ko_kr(bot):
    korean_person(bot, {**KO_KR, "is_admin": True})  # an admin's Home has every button
    seed(bot, WHAT, date(2024, 3, 1), lesson=LESSON, items=(ITEM,))
    seed(bot, "로그를 지웠어요", date(2024, 5, 2), lesson=None, items=())

    assert bot.event(home_opened()).status == 200

    view = published_home(bot)
    [info] = bot.fake.calls_to("users.info")
    assert str(info.args.get("include_locale")).lower() in ("1", "true")
    assert home_headers(view)[0] == HOME_HEADER
    assert "2024 · 기록 2건" in home_headers(view)
    buttons = [
        e["text"]["text"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"] if "text" in e
    ]
    assert "실패 기록하기" in buttons and "올해 돌아보기" in buttons and "설정" in buttons
    assert language_menu(view)["initial_option"]["text"]["text"] == "언어: 내 Slack 설정 따르기"
    assert [o["value"] for o in language_menu(view)["options"]] == ["slack", "en", "ko"]
    assert english_left(view) == []
    assert_no_failed_calls(bot)


def test_the_nice_job_after_a_quick_entry_is_korean(bot):
    korean_person(bot)
    bot.now = NOW
    nice_job = learn_the_locale(bot)
    assert nice_job["text"] in KOREAN_NICE_JOBS
    buttons = [e["text"]["text"] for b in nice_job["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["배운 점 추가", "익명으로 공유", "되돌리기"]
    assert english_left(nice_job) == []
    assert remembered_locale(bot) == "ko-KR"  # kept for the requests that answer before asking Slack
    assert_no_failed_calls(bot)


def test_the_record_modal_is_korean_once_the_locale_was_learned(bot):
    korean_person(bot)
    # Before the app heard Slack's locale, the loading view (shown on the trigger, from the database
    # alone) is in the workspace's language; the form itself asks Slack, once the trigger is spent.
    bot.command("", key="before")
    [before] = bot.fake.wait_for_views()
    assert before["title"]["text"] == "실패 기록하기"
    [first_loading] = bot.fake.calls_to("views.open")
    assert first_loading.args["view"]["title"]["text"] == "Failure Resume"

    learn_the_locale(bot)
    bot.fake.reset()
    bot.command("", key="form")

    [view] = bot.fake.wait_for_views()
    assert view["callback_id"] == "record_entry_modal"
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "실패 기록하기",
        "기록하기",
        "취소",
    )
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels[:2] == ["있었던 일", "우리가 배운 점"]
    [loading] = bot.fake.calls_to("views.open")
    assert loading.args["view"]["title"]["text"] == "실패 이력서"  # the loading view too
    assert english_left(view, loading.args["view"]) == []
    assert_no_failed_calls(bot)


def test_the_resume_is_korean(bot):
    korean_person(bot)
    seed(bot, WHAT, date(2024, 3, 1), lesson=LESSON, items=(ITEM,))
    seed(bot, "로그를 지웠어요", date(2023, 5, 2), lesson=None, items=())

    bot.command("resume", key="resume")

    [(_key, resume)] = bot.fake.wait_for_responses()
    headers = [b["text"]["text"] for b in resume["blocks"] if b["type"] == "header"]
    assert headers == [HOME_HEADER, "2024 · 기록 1건", "2023 · 기록 1건"]
    text = json.dumps(resume, ensure_ascii=False)
    assert "*우리가 배운 점:*" in text and "배운 점은 아직 적지 않았어요." in text
    assert english_left(resume) == []
    assert_no_failed_calls(bot)


def test_the_export_markdown_is_korean(bot):
    korean_person(bot)
    bot.now = NOW
    seed(bot, WHAT, date(2024, 3, 1), lesson=LESSON, items=(ITEM,), safeguards=("tests",))
    seed(bot, "로그를 지웠어요", date(2023, 5, 2), lesson=None, items=())

    bot.command("export", key="export")

    [complete] = bot.fake.wait_for("files.completeUploadExternal")
    markdown = uploaded(bot.fake, ".md").decode("utf-8")
    assert markdown.startswith("# Person U1의 실패 이력서\n")
    assert f"**우리가 배운 점:** {LESSON}" in markdown
    assert f"**실행 항목:**\n- [ ] {ITEM}" in markdown
    assert "**추가할 안전장치:** 자동화 테스트 추가" in markdown and "_나만 보기_" in markdown
    assert "배운 점은 아직 적지 않았어요." in markdown
    assert [f["title"] for f in complete.args["files"]] == ["실패 이력서", "내 실패 이력서 데이터 전체 (JSON)"]
    assert complete.args["initial_comment"].startswith("실패 이력서를 보내 드려요. 기록은 2건이에요.")
    assert english_left(markdown, complete.args["initial_comment"]) == []
    assert dict(bot.fake.wait_for_responses())["export"]["text"] == "다이렉트 메시지로 보내 드렸어요."
    assert_no_failed_calls(bot)


def test_the_monthly_prompt_is_korean(bot):
    korean_person(bot)
    bot.now = NOW
    learn_the_locale(bot)  # a quick entry without a lesson: the prompt asks for it
    bot.fake.reset()

    send_reflection_prompts(bot.session_factory, quick_client(bot.fake.url), WS, NOVEMBER, pace=no_pause)

    [prompt] = bot.fake.calls_to("chat.postMessage")
    assert prompt.args["channel"] == "U1"
    assert prompt.args["text"].startswith("이번 달은 어땠나요? 계획대로 되지 않은 일이 있었나요?")
    buttons = [e["text"]["text"] for b in prompt.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["하나 기록하기", "이번 달은 없어요", "나중에", "이 알림 그만 받기"]
    assert WHAT in json.dumps(prompt.args["blocks"], ensure_ascii=False)  # its lesson is still to come
    assert english_left(prompt.args) == []
    assert_no_failed_calls(bot)


def test_the_year_in_review_is_korean(bot):
    korean_person(bot)
    seed(bot, WHAT, date(2024, 3, 1), lesson=LESSON, items=(ITEM,), safeguards=("tests",), category="engineering")
    seed(bot, "로그를 지웠어요", date(2024, 6, 2), lesson="로그는 지우기 전에 보관", items=())

    bot.command("review 2024", key="review")

    [complete] = bot.fake.wait_for("files.completeUploadExternal")
    assert uploaded(bot.fake, ".png").startswith(b"\x89PNG")
    [message] = bot.fake.calls_to("chat.postMessage")
    assert message.args["text"] == "내 2024년 돌아보기"
    text = json.dumps(message.args["blocks"], ensure_ascii=False)
    assert "한 해 동안 *기록 2건을* 남겼어요." in text
    assert "*분류별:* 엔지니어링 1, 데이터 1" in text
    assert "*기록이 가장 많았던 달:* 3월 1, 6월 1" in text
    assert "*간직할 만한 배운 점:*" in text and LESSON in text
    assert [f.get("title") for f in complete.args["files"]] == ["내 2024년 돌아보기"]
    assert english_left(message.args) == []
    assert dict(bot.fake.wait_for_responses())["review"]["text"] == "다이렉트 메시지로 보내 드렸어요."
    assert_no_failed_calls(bot)


def test_an_empty_year_in_review_is_korean(bot):
    korean_person(bot)
    bot.now = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
    bot.command("review", key="review")
    bot.fake.wait_for_responses()
    [message] = bot.fake.wait_for("chat.postMessage")
    assert message.args["text"].startswith("2021년에는 아직 기록이 없어요.")
    assert english_left(message.args) == []


def test_a_year_the_review_cannot_use_is_answered_in_korean(bot):
    korean_person(bot)
    learn_the_locale(bot)  # an entry of this year (the clock's)
    bot.command("review abc", key="review")
    [(_key, answer)] = bot.fake.wait_for_responses(2)[1:]
    year = bot.clock().year
    said = f"실패 이력서에는 {year}년 기록만 있어요. `/fail review {year}`를 입력해 보세요."
    assert answer["text"] == f"“abc”은(는) 연도가 아니에요. {said}"
    assert english_left(answer) == []


def test_an_error_on_the_ack_path_is_reported_in_korean_once_the_locale_is_known(bot):
    korean_person(bot)
    learn_the_locale(bot)
    bot.fake.reset()
    for _ in range(3):  # the first try and both of the client's retries
        bot.fake.queue_failure("views.open", status=500)

    bot.command("", key="broken")

    [(key, report)] = bot.fake.wait_for_responses()
    assert key == "broken"
    assert report["text"].startswith(SORRY) and "reference" not in report["text"]
    assert english_left(report) == []


def test_an_error_in_a_worker_is_reported_in_korean(bot):
    korean_person(bot)
    seed(bot, WHAT, date(2024, 3, 1))
    bot.fake.queue_failure("files.getUploadURLExternal", error="internal_error")

    bot.command("export", key="export")

    [(key, report)] = bot.fake.wait_for_responses()
    assert key == "export" and report["text"].startswith(SORRY)
    assert english_left(report) == []


# ---- the person's own choice, and the workspace's language ------------------------------------


def test_choosing_english_in_the_home_wins_over_the_slack_locale_and_slack_goes_back_to_korean(bot):
    korean_person(bot)
    seed(bot, WHAT, date(2024, 3, 1), lesson=LESSON)
    bot.event(home_opened())
    assert home_headers(published_home(bot))[0] == HOME_HEADER

    assert choose_language(bot, "en").status == 200
    english = bot.fake.wait_for("views.publish", count=2)[1].args["view"]
    assert home_headers(english)[0] == "Your failure resume"
    assert language_menu(english)["initial_option"]["value"] == "en"
    assert "Record a failure" in json.dumps(english)
    assert english_left(english) != []  # it is English now
    # What comes next for this person follows the choice too.
    bot.command("resume", key="resume")
    [(_key, resume)] = bot.fake.wait_for_responses()
    assert resume["blocks"][0]["text"]["text"] == "Your failure resume"

    assert choose_language(bot, "slack").status == 200
    korean = bot.fake.wait_for("views.publish", count=3)[2].args["view"]
    assert home_headers(korean)[0] == HOME_HEADER
    assert language_menu(korean)["initial_option"]["value"] == "slack"
    assert english_left(korean) == []
    with bot.session_factory() as session:
        assert session.get(Person, ("", "T0001", "U1")).language is None
    assert_no_failed_calls(bot)


def test_choosing_korean_in_the_home_makes_it_korean_for_an_english_slack_user(bot):
    bot.fake.users["U1"] = member("U1", locale="en-US")
    assert choose_language(bot, "ko").status == 200
    [home] = bot.fake.wait_for("views.publish")
    assert home_headers(home.args["view"])[0] == HOME_HEADER
    assert language_menu(home.args["view"])["initial_option"]["value"] == "ko"


def admin_sets_workspace_language(bot, language: str) -> None:
    """Through the settings modal, as Slack sends its submission."""
    bot.fake.users["UADMIN"] = member("UADMIN", is_admin=True, locale="en-US")
    values = settings_values(channel="CRETRO", crowd="3", language=language)
    answer = submit_dialog(bot, "settings_modal", values, user="UADMIN")
    assert answer.status == 200 and answer.body == b""
    [saved] = bot.fake.wait_for("chat.postMessage")
    assert saved.args["channel"] == "UADMIN"
    bot.fake.reset()


def share(bot, user: str, visibility: str, what: str, lesson: str) -> int:
    entry_id = seed(bot, what, date(2026, 10, 1), user=user, lesson=lesson, visibility=visibility, items=(ITEM,))
    with bot.session_factory.begin() as session:
        session.get(Entry, entry_id).shared_at = NOW - timedelta(days=1)
    return entry_id


def test_an_admin_setting_korean_makes_the_team_digest_korean_for_everyone(bot):
    admin_sets_workspace_language(bot, "ko")
    share(bot, "UNAMED", "named", "이름을 밝힌 실수", "이름을 밝힌 배움")
    for n in range(3):
        share(bot, f"UANON{n}", "anonymous", f"익명 실수 {n}", f"익명 배움 {n}")

    client = quick_client(bot.fake.url)
    assert post_team_digest(bot.session_factory, client, WS, NOW, "CRETRO") == "posted"

    [digest] = bot.fake.calls_to("chat.postMessage")
    assert digest.args["channel"] == "CRETRO"
    assert digest.args["text"].startswith("팀과 나눈 배운 점 4개")
    text = json.dumps(digest.args["blocks"], ensure_ascii=False)
    assert "*<@UNAMED>님이 배운 점:* 이름을 밝힌 배움" in text
    assert "*우리가 배운 점:* 익명 배움 0" in text
    assert english_left(digest.args) == []
    assert_no_failed_calls(bot)


def test_the_team_year_in_review_is_in_the_workspace_language(bot):
    admin_sets_workspace_language(bot, "ko")
    for user in ("UA", "UB", "UC"):
        seed(bot, "비공개 실수", date(2026, 3, 3), user=user, items=())
    client = quick_client(bot.fake.url)

    assert post_team_year_review_once(bot.session_factory, client, WS, 2026, NOVEMBER, "CRETRO") == "posted"

    [message] = bot.fake.calls_to("chat.postMessage")
    assert message.args["text"] == "우리 팀의 2026년 돌아보기"
    assert "한 해 동안 우리 팀이 *기록 3건을* 남겼어요." in json.dumps(message.args["blocks"], ensure_ascii=False)
    assert english_left(message.args) == []
    assert uploaded(bot.fake, ".png").startswith(b"\x89PNG")
    assert_no_failed_calls(bot)


@pytest.mark.parametrize(("workspace", "header"), [("ko", HOME_HEADER), ("en", "Your failure resume")])
def test_a_person_whose_locale_we_do_not_speak_gets_the_workspace_language(bot, workspace, header):
    admin_sets_workspace_language(bot, workspace)
    bot.fake.users["U1"] = member("U1", locale="ja-JP")
    bot.event(home_opened())
    view = published_home(bot)
    assert home_headers(view)[0] == header
    if workspace == "ko":
        assert english_left(view) == []


def test_a_korean_workspace_still_speaks_english_to_an_en_us_person(bot):
    admin_sets_workspace_language(bot, "ko")
    bot.fake.users["U1"] = member("U1", locale="en-US")
    bot.event(home_opened())
    assert home_headers(published_home(bot))[0] == "Your failure resume"


def test_a_ko_kr_person_the_app_never_heard_from_gets_their_first_prompt_in_korean(bot):
    """The monthly prompt is often the first thing the app says to someone: users.list tells their
    locale when asked (include_locale), as users.info does."""
    korean_person(bot)
    send_reflection_prompts(bot.session_factory, quick_client(bot.fake.url), WS, NOVEMBER, pace=no_pause)
    [prompt] = bot.fake.calls_to("chat.postMessage")
    assert prompt.args["text"].startswith("이번 달은 어땠나요?"), prompt.args["text"]
    # Slack gives users.list's locales only to a caller that asks for them.
    [listed] = bot.fake.calls_to("users.list")
    assert str(listed.args.get("include_locale")).lower() in ("1", "true")


def test_each_admin_is_told_about_a_missing_retro_channel_in_their_own_language(bot):
    bot.fake.users["UADMINKO"] = member("UADMINKO", is_admin=True, locale="ko-KR")
    bot.fake.users["UADMINEN"] = member("UADMINEN", is_admin=True, locale="en-US")
    share(bot, "UNAMED", "named", "A named mistake", "A named lesson")

    client = quick_client(bot.fake.url)
    assert post_team_digest(bot.session_factory, client, WS, NOW, None) == "no_channel"

    told = {c.args["channel"]: c.args["text"] for c in bot.fake.calls_to("chat.postMessage")}
    assert told["UADMINKO"].startswith("실패 이력서에 팀 요약으로 나눌 배운 점이 있지만")
    assert told["UADMINEN"].startswith("Failure Resume has lessons to share in a team digest")
    assert_no_failed_calls(bot)


def test_a_shared_resumes_import_preview_and_its_answer_are_korean(bot):
    korean_person(bot)
    learn_the_locale(bot)
    bot.fake.reset()
    resume = (
        "## 2024년\n\n- 금요일에 배포했다가 캐시가 터졌어요\n  - 배운 점: 주 초에 배포하기\n\n## 2031\n\n- 미래의 일\n"
    )
    shared = bot.fake.share_file("이력서.md", resume.encode())
    event = {"type": "message", "subtype": "file_share", "channel_type": "im", "channel": "DU1", "user": "U1"}
    assert bot.event({**event, "files": [shared], "ts": "1700000000.000900"}).status == 200

    [preview] = bot.fake.wait_for("chat.postMessage")
    assert preview.args["text"] == "가져오기 미리 보기"
    wire = json.dumps(preview.args["blocks"], ensure_ascii=False)
    assert "금요일에 배포했다가 캐시가 터졌어요" in wire and "주 초에 배포하기" in wire
    assert english_left(preview.args) == []
    [confirm] = [
        e
        for b in preview.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "import_confirm_button"
    ]
    press = payloads.block_actions(
        {"action_id": "import_confirm_button", "value": confirm["value"], "type": "button"},
        response_url=bot.fake.response_url("import"),
    )
    assert bot.interact(press).status == 200
    [(_key, answer)] = bot.fake.wait_for_responses()
    assert answer["text"].startswith("잘했어요!") and english_left(answer) == []
    assert_no_failed_calls(bot)
