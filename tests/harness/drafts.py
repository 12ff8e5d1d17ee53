"""What the draft files in tests/fixtures hold: their lessons, file by file (None: a lesson left out)."""

from __future__ import annotations

# The lessons of the draft's twelve entries, in order (tests/test_imports.py checks them saved).
DRAFT_LESSONS = {
    "draft.md": [
        "meet the people who would use it first",
        "I learned to finish preparing a week ahead.",
        "Didn't listen to the whole question\nRepeat the question before answering",
        "no deploys on Fridays",
        None,
        "retros matter most when we are busy",
        "A backup is only a backup once it has been restored",
        None,
        "handing work over is part of the work",
        None,
        "look at the team before the company.",
        None,
    ],
    "draft_ko.md": [
        "처음부터 쓸 사람을 만나야 한다",
        "준비는 일주일 전에 끝내야 한다는 것을 깨달았다.",
        "면접관의 질문을 끝까지 듣지 않았다\n질문을 다시 말해 보고 답한다",
        "금요일 배포는 하지 않는다",
        None,
        "회고는 바쁠 때 더 필요하다",
        "복구 연습까지 해야 백업이다",
        None,
        "맡기는 것도 일이다",
        None,
        "회사보다 팀을 먼저 본다.",
        None,
    ],
}
