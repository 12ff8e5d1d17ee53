"""The fixed lists people choose from. One table feeds every surface that shows it."""

from bot.i18n import N_

CATEGORIES = {
    "engineering": N_("Engineering"),
    "data": N_("Data"),
    "management": N_("Management"),
    "career": N_("Career"),
    "personal": N_("Personal"),
    "other": N_("Other"),
}

SAFEGUARDS = {
    "tests": N_("More automated tests"),
    "reviewers": N_("More reviewers"),
    "monitoring": N_("Better monitoring"),
    "gradual_rollout": N_("Gradual rollout"),
    "kill_switch": N_("Kill switch"),
    "runbook": N_("Runbook or docs"),
}

VISIBILITIES = {
    "private": N_("Only me"),
    "anonymous": N_("Share with the team anonymously"),
    "named": N_("Share with the team with my name"),
}

DIGEST_CADENCES = {
    "weekly": N_("Weekly"),
    "monthly": N_("Monthly"),
}

# 0 is "the first working day"; other days stop at 28 so that every month has them.
PROMPT_DAYS = {0: N_("First working day of the month")} | {day: N_("Day {day} of the month") for day in range(1, 29)}

# Anonymous lessons wait for this many different people; fewer would let a small team guess.
ANONYMITY_CROWDS = (3, 4, 5, 6, 8, 10)
