"""Every callback, block and action id the app uses, one enum per Slack surface."""

from enum import StrEnum


class Command(StrEnum):
    FAIL = "/fail"


class Shortcut(StrEnum):
    RECORD_LESSON = "record_lesson_shortcut"


class View(StrEnum):
    RECORD = "record_entry_modal"
    DELETE = "delete_entry_modal"
    VISIBILITY = "change_visibility_modal"
    SETTINGS = "settings_modal"
    DELETE_ALL_DATA = "delete_all_data_modal"
    ACTION_ITEMS = "action_items_modal"
    IMPORT = "import_modal"
    IMPORT_PREVIEW = "import_preview_modal"
    # Modals without a submit button: nothing comes back from them.
    LOADING = "loading_modal"
    NOTICE = "notice_modal"


class Block(StrEnum):
    WHAT = "what_block"
    LESSON = "lesson_block"
    CATEGORY = "category_block"
    WHEN = "when_block"
    SAFEGUARDS = "safeguards_block"
    ACTION_ITEMS = "action_items_block"
    VISIBILITY = "visibility_block"
    RETRO_CHANNEL = "retro_channel_block"
    DIGEST_CADENCE = "digest_cadence_block"
    PROMPT_DAY = "prompt_day_block"
    DEFAULT_VISIBILITY = "default_visibility_block"
    ANONYMITY_CROWD = "anonymity_crowd_block"
    PROMPT_GUESTS = "prompt_guests_block"
    LESSONS_CANVAS = "lessons_canvas_block"
    HOME_ACTIONS = "home_actions_block"
    DATA_ACTIONS = "data_actions_block"
    ENTRY_ACTIONS = "entry_actions_block"
    EARLIER_LESSONS = "earlier_lessons_block"
    HOME_SEARCH = "home_search_block"
    BLAMELESS = "blameless_block"
    KEEP_WORDS = "keep_words_block"
    WORKSPACE_LANGUAGE = "workspace_language_block"
    HOME_LANGUAGE = "home_language_block"
    IMPORT_TEXT = "import_text_block"
    IMPORT_ACTIONS = "import_actions_block"
    IMPORT_YEAR = "import_year_block"


class Action(StrEnum):
    # modal inputs
    WHAT = "what_input"
    LESSON = "lesson_input"
    CATEGORY = "category_input"
    WHEN = "when_input"
    SAFEGUARDS = "safeguards_input"
    ACTION_ITEMS = "action_items_input"
    VISIBILITY = "visibility_input"
    RETRO_CHANNEL = "retro_channel_input"
    DIGEST_CADENCE = "digest_cadence_input"
    PROMPT_DAY = "prompt_day_input"
    DEFAULT_VISIBILITY = "default_visibility_input"
    ANONYMITY_CROWD = "anonymity_crowd_input"
    PROMPT_GUESTS = "prompt_guests_input"
    WORKSPACE_LANGUAGE = "workspace_language_input"
    IMPORT_TEXT = "import_text_input"
    # buttons and menus
    ADD_LESSON = "add_lesson_button"
    SHARE_ANONYMOUSLY = "share_anonymously_button"
    UNDO = "undo_button"
    RECORD = "record_button"
    RECORD_TYPED = "record_typed_button"
    EXPORT = "export_button"
    SETTINGS = "settings_button"
    ENTRY_MENU = "entry_overflow"
    RESUME_PAGE = "resume_page_button"
    NICE_JOB = "nice_job_button"
    PROMPT_RECORD = "prompt_record_button"
    PROMPT_NOTHING = "prompt_nothing_button"
    PROMPT_SNOOZE = "prompt_snooze_button"
    PROMPT_STOP = "prompt_stop_button"
    PROMPTS_RESUME = "prompts_resume_button"
    ACTION_ITEM_DONE = "action_item_done_button"
    POST_DIGEST = "post_digest_button"
    DELETE_ALL_DATA = "delete_all_data_button"
    EXPORT_SHARED = "export_shared_button"
    SEARCH_PAGE = "search_page_button"
    HOME_SEARCH = "home_search_input"
    HOME_SEARCH_PAGE = "home_search_page_button"
    CLEAR_SEARCH = "clear_search_button"
    KEEP_WORDS = "keep_words_input"
    SHARE_AS_WRITTEN = "share_as_written_button"
    ITEM_OWNER = "item_owner_input"
    ITEM_DUE = "item_due_input"
    ITEM_STATUS = "item_status_input"
    ITEM_HELPED = "item_helped_button"
    HOME_LANGUAGE = "home_language_select"
    IMPORT = "import_button"
    IMPORT_CONFIRM = "import_confirm_button"
    IMPORT_CANCEL = "import_cancel_button"
    IMPORT_YEAR = "import_year_select"
    REVIEW = "year_review_button"


class EntryMenuOption(StrEnum):
    EDIT = "edit"
    ACTION_ITEMS = "action_items"
    VISIBILITY = "visibility"
    DELETE = "delete"
