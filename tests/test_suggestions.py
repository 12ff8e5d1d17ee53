"""The lesson of the most similar earlier entry, in the Nice job and the modal, and search: over
signed HTTP against the fake Slack, with the visibility rules checked on every surface."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
from sqlalchemy import update

from bot.blocks.entry_modal import ModalContext
from bot.domain import suggestions
from bot.domain.meaning import MODEL, from_bytes, to_bytes
from storage.models import Digest, Entry, utcnow
from tests import payloads
from tests.rows import entries, seed

FRIDAY = "Deployed on a Friday evening and nobody was on call when it broke"
FRIDAY_AGAIN = "deployed friday evening, broke prod and nobody on call"
FRIDAY_LESSON = "We deploy Monday to Thursday, with someone on call for the next hours."


def nice_job(bot, text: str, user: str = "U1", key: str = "cmd") -> dict:
    before = len(bot.fake.responses)
    assert bot.command(text, user=user, key=key).status == 200
    return [body for k, body in bot.fake.wait_for_responses(before + 1) if k == key][-1]


def earlier_lesson(message: dict) -> str | None:
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    return next((t for t in texts if "we learned" in t), None)


def in_a_digest(bot, entry_id: int) -> None:
    with bot.session_factory.begin() as session:
        digest = Digest(enterprise_id="", team_id="T0001", channel="CRETRO")
        session.add(digest)
        session.flush()
        session.execute(update(Entry).where(Entry.id == entry_id).values(digest_id=digest.id))


def test_the_nice_job_recalls_the_persons_own_earlier_lesson_with_its_month(bot):
    seed(bot, FRIDAY, date(2024, 3, 5), lesson=FRIDAY_LESSON)
    shown = earlier_lesson(nice_job(bot, FRIDAY_AGAIN))
    assert shown.startswith("Last time something like this happened (Mar 2024), we learned:")
    assert FRIDAY_LESSON in shown


def test_nothing_is_recalled_for_an_unrelated_mistake_or_an_earlier_entry_without_a_lesson(bot):
    seed(bot, FRIDAY, date(2024, 3, 5), lesson=FRIDAY_LESSON)
    seed(bot, "I was rejected from the PhD program I wanted most", date(2024, 4, 1))
    message = nice_job(bot, "My PhD application got rejected again this year")
    assert "Nice job" in message["text"] and earlier_lesson(message) is None


def test_someone_elses_private_entry_is_never_recalled_even_word_for_word(bot):
    seed(bot, FRIDAY, date(2024, 3, 5), user="U2", lesson="Private lesson of U2")
    message = nice_job(bot, FRIDAY)
    assert earlier_lesson(message) is None and "U2" not in json.dumps(message)


def test_a_teammates_named_entry_is_recalled_as_the_teams_lesson_without_naming_them(bot):
    seed(bot, FRIDAY, date(2024, 3, 5), user="U2", lesson=FRIDAY_LESSON, visibility="named")
    message = nice_job(bot, FRIDAY_AGAIN)
    assert FRIDAY_LESSON in earlier_lesson(message) and "(Mar 2024)" in earlier_lesson(message)
    assert "U2" not in json.dumps(message)


def test_an_anonymous_entry_is_recalled_only_once_a_digest_carried_it_and_never_with_its_date(bot):
    anonymous = seed(bot, FRIDAY, date(2024, 3, 5), user="U2", lesson=FRIDAY_LESSON, visibility="anonymous")
    assert earlier_lesson(nice_job(bot, FRIDAY_AGAIN, key="before")) is None  # still waiting for its crowd
    in_a_digest(bot, anonymous)
    message = nice_job(bot, FRIDAY_AGAIN + "!", key="after")
    shown = earlier_lesson(message)
    assert shown.startswith("Something like this happened on the team before, and we learned:")
    assert FRIDAY_LESSON in shown
    wire = json.dumps(message)
    assert "U2" not in wire and "2024" not in wire and "Mar" not in wire


def test_an_entry_deleted_or_made_private_after_the_index_saw_it_is_never_recalled(bot):
    mine = seed(bot, FRIDAY, date(2024, 3, 5), lesson=FRIDAY_LESSON)
    theirs = seed(
        bot,
        "Rotated the database password and forgot the batch jobs",
        user="U2",
        lesson="We keep a list of everything that uses a secret",
        visibility="named",
    )
    assert earlier_lesson(nice_job(bot, FRIDAY_AGAIN, key="a")) is not None  # the index holds both now
    assert earlier_lesson(nice_job(bot, "rotated the db password, batch jobs broke", key="b")) is not None
    with bot.session_factory.begin() as session:
        session.delete(session.get(Entry, mine))
        session.get(Entry, theirs).visibility = "private"
    assert earlier_lesson(nice_job(bot, FRIDAY_AGAIN + " again", key="c")) is None
    assert earlier_lesson(nice_job(bot, "rotated the db password and the batch jobs broke", key="d")) is None


def test_the_lesson_is_quoted_inert_and_cut_to_fit(bot):
    lesson = "<!channel> <@U999> we add a pre-deploy check & alert. " + "더 작게 배포하자 🚀 " * 200
    seed(bot, FRIDAY, date(2024, 3, 5), lesson=lesson)
    shown = earlier_lesson(nice_job(bot, FRIDAY_AGAIN))
    assert "<!channel>" not in shown and "<@U999>" not in shown and "&lt;!channel&gt;" in shown
    assert len(shown) <= 3000 and shown.endswith("…")


def test_a_korean_entry_recalls_a_korean_lesson(bot):
    seed(
        bot,
        "금요일 저녁에 배포했다가 장애가 났는데 온콜이 아무도 없었다",
        date(2025, 1, 7),
        lesson="배포는 월~목에만 하고 온콜을 정해 두자",
    )
    shown = earlier_lesson(nice_job(bot, "금요일 저녁 배포 후 장애가 났는데 온콜이 없었음"))
    assert "배포는 월~목에만 하고 온콜을 정해 두자" in shown and "(Jan 2025)" in shown


def test_a_modal_entry_recalls_too_and_never_itself(bot):
    seed(bot, FRIDAY, date(2024, 3, 5), lesson=FRIDAY_LESSON)
    before = len(bot.fake.calls_to("chat.postEphemeral")) + len(bot.fake.calls_to("chat.postMessage"))
    assert bot.submit_entry(what=FRIDAY_AGAIN, lesson="A new lesson").status == 200
    bot.drain()
    sent = [c.args for c in bot.fake.calls_to("chat.postEphemeral") + bot.fake.calls_to("chat.postMessage")]
    assert len(sent) > before
    shown = earlier_lesson(sent[-1])
    assert FRIDAY_LESSON in shown and "A new lesson" not in shown
    assert len(entries(bot)) == 2


# -- the record modal: Enter in "What happened" shows earlier lessons in place


def open_record_modal(bot) -> dict:
    assert bot.command("", key="form").status == 200
    [view] = bot.fake.wait_for_views()
    return view


def enter_what(bot, view: dict, text: str, user: str = "U1") -> None:
    payload = payloads.block_actions({"type": "plain_text_input", "action_id": "what_input", "value": text}, user=user)
    del payload["response_url"], payload["channel"]
    payload["container"] = {"type": "view", "view_id": view["id"]}
    payload["view"] = {
        **view,
        "state": {"values": {"what_block": {"what_input": {"type": "plain_text_input", "value": text}}}},
    }
    assert bot.interact(payload).status == 200


def earlier_block(view: dict) -> dict | None:
    return next((b for b in view["blocks"] if b.get("block_id") == "earlier_lessons_block"), None)


def test_enter_in_what_happened_shows_the_closest_earlier_lessons_under_it_and_keeps_the_inputs(bot):
    seed(bot, FRIDAY, date(2024, 3, 5), lesson=FRIDAY_LESSON)
    seed(bot, FRIDAY + " (again)", date(2025, 6, 1), user="U2", lesson="Private lesson of U2")
    view = open_record_modal(bot)
    what = next(b for b in view["blocks"] if b.get("block_id") == "what_block")
    assert what["dispatch_action"] is True
    assert what["element"]["dispatch_action_config"] == {"trigger_actions_on": ["on_enter_pressed"]}
    opened = len(bot.fake.calls_to("views.update"))  # the loading view became the form
    enter_what(bot, view, FRIDAY_AGAIN)
    update = bot.fake.wait_for("views.update", count=opened + 1)[-1]
    assert update.args["view_id"] == view["id"] and update.args["hash"] == view["hash"]
    shown = update.args["view"]
    block_ids = [b.get("block_id") for b in shown["blocks"]]
    assert block_ids[block_ids.index("what_block") + 1] == "earlier_lessons_block"
    assert [b for b in block_ids if b != "earlier_lessons_block"] == [b.get("block_id") for b in view["blocks"]]
    text = earlier_block(shown)["text"]["text"]
    assert FRIDAY_LESSON in text and "(Mar 2024)" in text and "Private lesson" not in text
    assert shown["private_metadata"] == view["private_metadata"] and shown["callback_id"] == view["callback_id"]


def test_enter_with_nothing_similar_changes_nothing_and_a_changed_modal_is_left_alone(bot):
    seed(bot, FRIDAY, date(2024, 3, 5), lesson=FRIDAY_LESSON)
    view = open_record_modal(bot)
    opened = len(bot.fake.calls_to("views.update"))
    enter_what(bot, view, "My grant proposal was turned down")
    bot.drain()
    assert len(bot.fake.calls_to("views.update")) == opened
    enter_what(bot, {**view, "hash": "stale"}, FRIDAY_AGAIN)  # the person moved on: Slack says hash_conflict
    bot.drain()
    refused = bot.fake.calls_to("views.update", ok_only=False)[-1]
    assert refused.error == "hash_conflict" and len(bot.fake.calls_to("views.update")) == opened
    assert len(entries(bot)) == 1


def test_a_submission_after_the_earlier_lessons_were_shown_records_one_entry(bot):
    seed(bot, FRIDAY, date(2024, 3, 5), lesson=FRIDAY_LESSON)
    view = open_record_modal(bot)
    opened = len(bot.fake.calls_to("views.update"))
    enter_what(bot, view, FRIDAY_AGAIN)
    bot.fake.wait_for("views.update", count=opened + 1)
    assert bot.submit_entry(what=FRIDAY_AGAIN, lesson="Schedule deploys").status == 200
    bot.drain()
    assert [e.what_happened for e in entries(bot)] == [FRIDAY, FRIDAY_AGAIN]


# -- search


def search(bot, words: str, key: str = "search", user: str = "U1") -> dict:
    before = len(bot.fake.responses)
    assert bot.command(f"search {words}".strip(), user=user, key=key).status == 200
    return [body for k, body in bot.fake.wait_for_responses(before + 1) if k == key][-1]


def shown_texts(message: dict) -> str:
    """Everything a person reads in a message (a button's value is never shown)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                found.append(value) if key == "text" and isinstance(value, str) else walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message)
    return "\n".join(found)


def test_search_finds_own_and_shared_entries_best_first_and_never_others_private_or_anonymous_authors(bot):
    seed(bot, "The nightly backup job failed silently for a week", date(2023, 5, 1), lesson="Alert on backups")
    seed(bot, "Backup restore was never tested, and it failed", user="U2", visibility="named", lesson="Test restores")
    anonymous = seed(
        bot,
        "We lost a backup because the disk filled up",
        user="U3",
        visibility="anonymous",
        when=date(2022, 2, 2),
        lesson="Watch the disk",
    )
    seed(bot, "Backup password was on a sticky note", user="U4", lesson="U4 private")
    seed(bot, "Waiting anonymous backup entry", user="U5", visibility="anonymous", lesson="not yet in a digest")
    in_a_digest(bot, anonymous)
    message = search(bot, "backup failed")
    wire = shown_texts(message)
    assert "nightly backup job" in wire and "never tested" in wire and "disk filled up" in wire
    assert "sticky note" not in wire and "Waiting anonymous" not in wire
    assert "U2" not in wire and "U3" not in wire and "2022" not in wire
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert sections[1].startswith("*The nightly backup job failed")  # the closest first
    contexts = [b["elements"][0]["text"] for b in message["blocks"] if b["type"] == "context"]
    assert "Yours" in contexts[0] and "Shared anonymously with the team" in contexts
    assert any((b.get("accessory") or {}).get("action_id") == "record_typed_button" for b in message["blocks"])


def test_search_pages_within_block_kit_limits_and_korean_works(bot):
    for n in range(23):
        seed(
            bot,
            f"배포 후 장애 {n}번째: 설정 파일을 잘못 올렸다",
            date(2024, 1, 1 + n),
            lesson=f"배포 전에 설정을 검토하자 {n}",
        )
    first = search(bot, "배포 장애")
    assert sum(1 for b in first["blocks"] if b["type"] == "context") == 10 and len(first["blocks"]) <= 50
    more = next(e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert more["action_id"] == "search_page_button"
    seen = set()
    value, page = more["value"], 1
    while value:
        payload = payloads.block_actions(
            payloads.button("search_page_button", value), response_url=bot.fake.response_url(f"page{page}")
        )
        assert bot.interact(payload).status == 200
        [(_, body)] = [(k, b) for k, b in bot.fake.wait_for_responses(page + 1) if k == f"page{page}"]
        assert body["replace_original"] is True
        seen |= {b["text"]["text"] for b in body["blocks"] if b["type"] == "section"}
        buttons = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
        value = next((e["value"] for e in buttons if e["text"]["text"] == "More results"), None)
        page += 1
    assert page == 3 and sum(1 for s in seen if "번째" in s) == 13  # pages 2 and 3: the other 13


def test_search_without_words_or_with_mentions_answers_clearly_and_never_pings(bot):
    assert "What shall we look for?" in search(bot, "", key="empty")["text"]
    seed(bot, "<!channel> broke the deploy for <@U999>", lesson="<!here> we add checks")
    wire = shown_texts(search(bot, "<!channel> deploy", key="ping"))
    assert "<!channel>" not in wire and "<@U999>" not in wire and "<!here>" not in wire
    garbage = payloads.block_actions(
        payloads.button("search_page_button", "{not json"), response_url=bot.fake.response_url("g")
    )
    assert bot.interact(garbage).status == 200


def test_the_home_search_box_shows_results_in_place_of_the_entries_and_back(bot):
    seed(bot, "The nightly backup job failed silently for a week", lesson="Alert on backups")
    seed(bot, "Forgot the team lunch booking", lesson="Calendar reminders")
    payload = payloads.block_actions(
        {"type": "plain_text_input", "action_id": "home_search_input", "value": "backup"}, container="view"
    )
    assert bot.interact(payload).status == 200
    [home] = bot.fake.wait_for("views.publish")
    blocks = home.args["view"]["blocks"]
    box = next(b for b in blocks if b.get("block_id") == "home_search_block")
    assert box["dispatch_action"] is True and box["element"]["initial_value"] == "backup"
    wire = json.dumps(blocks)
    assert "nightly backup" in wire and "team lunch" not in wire
    back = payloads.block_actions(payloads.button("clear_search_button"), container="view")
    assert bot.interact(back).status == 200
    home = bot.fake.wait_for("views.publish", count=2)[1]
    assert "team lunch" in json.dumps(home.args["view"]["blocks"])


def test_the_home_search_pages_on_in_the_home_tab(bot):
    for n in range(12):
        seed(bot, f"Backup number {n} failed overnight", date(2024, 1, 1 + n), lesson=f"Alert on backup {n}")
    search_box = {"type": "plain_text_input", "action_id": "home_search_input", "value": "backup failed"}
    assert bot.interact(payloads.block_actions(search_box, container="view")).status == 200
    [first] = bot.fake.wait_for("views.publish")
    buttons = [e for b in first.args["view"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    more = next(e for e in buttons if e["action_id"] == "home_search_page_button")
    assert bot.interact(payloads.block_actions(more, container="view")).status == 200
    second = bot.fake.wait_for("views.publish", count=2)[1].args["view"]["blocks"]
    found = [b for b in second if b["type"] == "section" and "Backup number" in b["text"]["text"]]
    assert len(found) == 2 and len(second) <= 100


def test_an_entry_edited_after_the_index_saw_it_is_found_by_its_new_words(bot):
    mine = seed(bot, "Lunch order went to the wrong office", date(2024, 3, 5), lesson=FRIDAY_LESSON)
    assert earlier_lesson(nice_job(bot, FRIDAY_AGAIN, key="before")) is None  # the index holds the old words
    with bot.session_factory.begin() as session:
        session.get(Entry, mine).what_happened = FRIDAY  # as the edit modal saves it: updated_at moves
    assert FRIDAY_LESSON in earlier_lesson(nice_job(bot, FRIDAY_AGAIN + " again", key="after"))


def test_an_entry_whose_transaction_committed_late_is_found_once_the_index_looks_back(bot, monkeypatch):
    monkeypatch.setattr(suggestions, "SWEEP_SECONDS", 0.0)  # every look also looks back the whole minute
    assert earlier_lesson(nice_job(bot, FRIDAY_AGAIN, key="before")) is None  # the index is built
    late = seed(bot, FRIDAY, date(2024, 3, 5), lesson=FRIDAY_LESSON)
    with bot.session_factory.begin() as session:  # stamped 30 s before its commit, as a slow transaction is
        session.execute(update(Entry).where(Entry.id == late).values(updated_at=utcnow() - timedelta(seconds=30)))
    assert FRIDAY_LESSON in earlier_lesson(nice_job(bot, FRIDAY_AGAIN + " again", key="after"))


# -- by meaning: the same mistake in other words, or in the other language (the worker's sentence encoder)

CERTIFICATE = "We forgot to renew the SSL certificate and the website went down"
CERTIFICATE_LESSON = "Certificates renew automatically, and their expiry is monitored."
CERTIFICATE_RETOLD = "Our TLS cert expired and nobody could reach the site"
PASSWORD = "비밀번호를 코드에 넣고 커밋해서 외부에 유출됐다"
PASSWORD_LESSON = "비밀 값은 비밀 관리 도구에 둔다"
PASSWORD_RETOLD = "저장소에 비밀번호를 올렸다가 밖으로 새어 나갔다"
NOTES = "회의록을 남기지 않아서 결정한 내용을 다들 다르게 기억했다"
NOTES_LESSON = "회의가 끝나면 결정과 담당자를 적는다"
NOTES_IN_ENGLISH = "We didn't take meeting notes and later disagreed about the decisions"


def with_meanings(bot) -> None:
    """The entries seeded without a meaning get theirs, as a worker's backlog run makes them."""
    bot.tasks.meanings()
    bot.drain()
    assert all(e.meaning_model == MODEL for e in entries(bot))


def test_an_english_mistake_in_other_words_recalls_the_earlier_lesson(meaning_bot):
    seed(meaning_bot, CERTIFICATE, date(2024, 3, 5), user="U2", lesson=CERTIFICATE_LESSON, visibility="named")
    with_meanings(meaning_bot)
    shown = earlier_lesson(nice_job(meaning_bot, CERTIFICATE_RETOLD))
    assert shown.startswith("Last time something like this happened (Mar 2024), we learned:")
    assert CERTIFICATE_LESSON in shown


def test_by_words_alone_the_same_mistake_in_other_words_is_not_recalled(bot):
    """What the encoder adds: the app without it (SIMILAR_BY_MEANING=false) misses the retelling."""
    seed(bot, CERTIFICATE, date(2024, 3, 5), user="U2", lesson=CERTIFICATE_LESSON, visibility="named")
    seed(bot, PASSWORD, date(2024, 3, 5), user="U2", lesson=PASSWORD_LESSON, visibility="named")
    assert earlier_lesson(nice_job(bot, CERTIFICATE_RETOLD, key="en")) is None
    assert earlier_lesson(nice_job(bot, PASSWORD_RETOLD, key="ko")) is None
    bot.drain()
    assert all(e.meaning_model is None for e in entries(bot))  # no meaning made, none promised


def test_a_korean_mistake_in_other_words_recalls_the_earlier_korean_lesson(meaning_bot):
    seed(meaning_bot, PASSWORD, date(2025, 1, 7), lesson=PASSWORD_LESSON)
    with_meanings(meaning_bot)
    shown = earlier_lesson(nice_job(meaning_bot, PASSWORD_RETOLD))
    assert PASSWORD_LESSON in shown and "(Jan 2025)" in shown


def test_an_english_mistake_recalls_a_korean_lesson_in_its_own_words_and_the_other_way_round(meaning_bot):
    seed(meaning_bot, NOTES, date(2024, 6, 3), user="U2", lesson=NOTES_LESSON, visibility="named")
    seed(meaning_bot, CERTIFICATE, date(2024, 3, 5), user="U3", lesson=CERTIFICATE_LESSON, visibility="named")
    with_meanings(meaning_bot)
    shown = earlier_lesson(nice_job(meaning_bot, NOTES_IN_ENGLISH, key="en"))
    assert NOTES_LESSON in shown and "(Jun 2024)" in shown  # the Korean lesson, as it was written
    shown = earlier_lesson(nice_job(meaning_bot, "인증서가 만료돼서 웹사이트 접속이 안 됐다", key="ko"))
    assert CERTIFICATE_LESSON in shown and "(Mar 2024)" in shown


def test_the_form_shows_an_earlier_lesson_of_the_same_mistake_in_the_other_language(meaning_bot):
    seed(meaning_bot, NOTES, date(2024, 6, 3), lesson=NOTES_LESSON)
    with_meanings(meaning_bot)
    view = open_record_modal(meaning_bot)
    opened = len(meaning_bot.fake.calls_to("views.update"))
    enter_what(meaning_bot, view, NOTES_IN_ENGLISH)
    update = meaning_bot.fake.wait_for("views.update", count=opened + 1)[-1]
    assert NOTES_LESSON in earlier_block(update.args["view"])["text"]["text"]


def test_search_ranks_by_meaning_too(meaning_bot):
    seed(meaning_bot, "Paged the wrong on-call rotation during the outage", lesson="Routing is tested after changes")
    seed(meaning_bot, "Forgot the team lunch booking", lesson="Calendar reminders")
    seed(meaning_bot, NOTES, user="U2", visibility="named", lesson=NOTES_LESSON)
    with_meanings(meaning_bot)
    message = search(meaning_bot, "the pager went to the wrong team")
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert sections[1].startswith("*Paged the wrong on-call rotation")  # the closest first
    wire = shown_texts(search(meaning_bot, "meeting notes nobody wrote", key="across"))
    assert NOTES in wire  # a Korean entry, found by English words


def test_another_persons_private_entry_is_never_suggested_whatever_its_score(meaning_bot):
    """The same words and so the same meaning, a perfect score: still never shown to anyone else, on
    any surface (the Nice job, the form, search); their own lookups find it."""
    seed(meaning_bot, CERTIFICATE, date(2024, 3, 5), user="U2", lesson="Private lesson of U2")
    seed(meaning_bot, NOTES, date(2024, 6, 3), user="U2", lesson="U2 keeps this to themselves")
    with_meanings(meaning_bot)
    wire = shown_texts(search(meaning_bot, CERTIFICATE))
    assert "Nothing found for" in wire and "Private lesson" not in wire
    view = open_record_modal(meaning_bot)
    opened = len(meaning_bot.fake.calls_to("views.update"))
    enter_what(meaning_bot, view, CERTIFICATE)
    meaning_bot.drain()
    assert len(meaning_bot.fake.calls_to("views.update")) == opened  # nothing to show: the form left alone
    for n, text in enumerate((CERTIFICATE, CERTIFICATE_RETOLD, NOTES, NOTES_IN_ENGLISH)):
        message = nice_job(meaning_bot, text, key=f"nice{n}")
        assert earlier_lesson(message) is None and "U2" not in json.dumps(message)
    assert "Private lesson of U2" in earlier_lesson(nice_job(meaning_bot, CERTIFICATE_RETOLD, user="U2", key="own"))


def test_a_saved_entry_gets_its_meaning_from_a_follow_up_and_an_edit_of_its_words_a_new_one(meaning_bot):
    assert meaning_bot.command(CERTIFICATE).status == 200
    meaning_bot.drain()
    [entry] = entries(meaning_bot)
    with meaning_bot.session_factory() as session:
        stored = session.get(Entry, entry.id).meaning
    assert entry.meaning_model == MODEL and len(stored) == 1024  # 512 float16
    metadata = ModalContext(entry_id=entry.id).dump()
    assert meaning_bot.submit_entry(what=NOTES_IN_ENGLISH, lesson="Write it down", metadata=metadata).status == 200
    meaning_bot.drain()
    with meaning_bot.session_factory() as session:
        edited = session.get(Entry, entry.id)
        assert edited.what_happened == NOTES_IN_ENGLISH and edited.meaning_model == MODEL
        assert edited.meaning != stored
    seed(meaning_bot, NOTES, date(2024, 6, 3), user="U2", lesson=NOTES_LESSON, visibility="named")
    with_meanings(meaning_bot)
    assert NOTES_IN_ENGLISH in shown_texts(search(meaning_bot, NOTES))  # found in Korean by its new meaning


def test_the_backlog_run_makes_each_missing_meaning_once(meaning_bot):
    for n in range(70):  # more than one batch
        seed(meaning_bot, f"Mistake number {n}: the nightly export failed", lesson=f"Lesson {n}")
    with_meanings(meaning_bot)
    before = [(e.id, e.updated_at) for e in entries(meaning_bot)]
    meaning_bot.tasks.meanings()
    meaning_bot.drain()
    assert [(e.id, e.updated_at) for e in entries(meaning_bot)] == before  # nothing made twice


def test_a_meaning_made_before_the_adapter_is_never_compared_and_is_made_again(meaning_bot, encoder):
    """After an upgrade from a release without the meaning adapter, the stored vectors are another
    model's: the backlog makes them again, and until then the entry goes by its words."""
    entry_id = seed(
        meaning_bot, CERTIFICATE, date(2024, 3, 5), user="U2", lesson=CERTIFICATE_LESSON, visibility="named"
    )
    own = encoder.adapted(None)
    [before] = own.of_entries([(CERTIFICATE, CERTIFICATE_LESSON)])
    with meaning_bot.session_factory.begin() as session:
        session.execute(
            update(Entry).where(Entry.id == entry_id).values(meaning=to_bytes(before), meaning_model=own.model)
        )
    assert earlier_lesson(nice_job(meaning_bot, CERTIFICATE_RETOLD, key="before")) is None
    with_meanings(meaning_bot)
    with meaning_bot.session_factory() as session:
        made = session.get(Entry, entry_id).meaning
    assert np.allclose(from_bytes(made), encoder.of_entries([(CERTIFICATE, CERTIFICATE_LESSON)])[0], atol=1e-3)
    assert CERTIFICATE_LESSON in earlier_lesson(nice_job(meaning_bot, CERTIFICATE_RETOLD, key="after"))


def test_a_meaning_of_a_model_this_release_does_not_know_is_left_alone(meaning_bot, encoder):
    """A newer release's worker, running beside this one during an upgrade: neither undoes the other."""
    entry_id = seed(meaning_bot, CERTIFICATE, date(2024, 3, 5), lesson=CERTIFICATE_LESSON)
    without = seed(meaning_bot, PASSWORD, date(2024, 3, 5), lesson=PASSWORD_LESSON)
    newer = to_bytes(np.full(512, 1 / np.sqrt(512)))
    with meaning_bot.session_factory.begin() as session:
        session.execute(update(Entry).where(Entry.id == entry_id).values(meaning=newer, meaning_model="a-newer-model"))
    meaning_bot.tasks.meanings()
    meaning_bot.drain()
    with meaning_bot.session_factory() as session:
        entry = session.get(Entry, entry_id)
        assert (entry.meaning_model, entry.meaning) == ("a-newer-model", newer)
        assert session.get(Entry, without).meaning_model == MODEL  # the run did make the missing one
