"""NLU services (Django-aware): `check_*` validate and raise ValidationError with a message for the user, `do_*` write.

examples — intents, slots, examples, bulk import/export; stash — checked imports awaiting confirmation (24 h);
training — runs and the worker side; versions — model versions, reports, evaluation on files and the command line's
helpers; warnings — what in the data will make the bot misunderstand. Everything is re-exported here.
"""

from nlu.services.examples import (  # noqa: F401
    IMPORT_MESSAGES,
    ImportPlan,
    available_common_intents,
    check_example,
    check_import,
    check_spans,
    do_delete_intent,
    do_delete_slot,
    do_enable_common_intents,
    do_import_rows,
    do_relabel_example,
    do_relabel_text,
    do_rename_slot_in_spans,
    do_save_example,
    export_examples,
    intents_with_counts,
    selected_intent,
    slot_definitions,
    translate,
)
from nlu.services.stash import STASH_TTL, do_clean_stash, stash_rows, take_rows  # noqa: F401
from nlu.services.training import (  # noqa: F401
    CONFIG_KEYS,
    MIN_EXAMPLES_PER_INTENT,
    THIN_INTENT,
    check_start_training,
    do_cancel_training,
    do_fail_orphaned_runs,
    do_record_version,
    do_start_training,
    run_training,
    thin_intents,
    version_folder,
)
from nlu.services.versions import (  # noqa: F401
    CLI_WORKSPACE,
    SUGGEST_FLOOR,
    active_version,
    bot_understanding,
    compare_versions,
    do_activate_version,
    do_create_cli_bot,
    do_rollback,
    evaluate_dialogues,
    evaluate_examples,
    find_bot,
    get_bot_runtime,
    suggest,
    version_report,
)
from nlu.services.warnings import DataWarning, data_warnings  # noqa: F401, E402
