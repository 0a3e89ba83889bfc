//! Deliberately wrong implementations. Each file copies a reference solution, breaks one
//! thing, and says in `MUST_FAIL` which properties the grader must then fail — exactly those.
//! The self-check (`grader/tests/selfcheck.rs`) grades every one against that annotation.

// Breaking code leaves fields and arguments unused.
#![allow(unused_variables, dead_code)]

pub mod retries {
    pub mod backoff_counts_from_one;
    pub mod backoff_equal_jitter;
    pub mod backoff_exclusive_range;
    pub mod backoff_exponent_clamped;
    pub mod backoff_float_exponent;
    pub mod backoff_jitter_then_cap;
    pub mod backoff_linear;
    pub mod backoff_no_cap;
    pub mod backoff_no_jitter;
    pub mod backoff_overflow;
    pub mod budget_cap_plus_one;
    pub mod budget_float_naive;
    pub mod budget_float_tolerant;
    pub mod budget_never_refills;
    pub mod budget_no_cap;
    pub mod budget_refill_to_reserve;
    pub mod budget_refusal_spends;
    pub mod budget_starts_empty;
    pub mod budget_unlimited;
    pub mod budget_whole_percent;
    pub mod call_answers_after_verdict;
    pub mod call_busy_forgets_lost_reply;
    pub mod call_deadline_per_attempt;
    pub mod call_gives_up_after_busy;
    pub mod call_ignores_deadline;
    pub mod call_ignores_late_ok;
    pub mod call_no_deadline_timer;
    pub mod call_no_pause;
    pub mod call_one_attempt_too_many;
    pub mod call_retries_invalid;
    pub mod call_retries_non_idempotent;
    pub mod call_unknown_as_failed;
}

pub mod idempotency {
    pub mod consumer_acks_early;
    pub mod consumer_buffers_early_in_memory;
    pub mod consumer_key_concatenated;
    pub mod consumer_mark_in_memory;
    pub mod consumer_mark_starts_at_one;
    pub mod consumer_nacks_duplicates;
    pub mod consumer_no_order;
    pub mod consumer_one_mark_for_all_streams;
    pub mod key_store_conflict_in_progress;
    pub mod key_store_global_keys;
    pub mod key_store_ignores_payload;
    pub mod key_store_key_concatenated;
    pub mod key_store_memory_only;
    pub mod key_store_recorded_after_effect;
    pub mod key_store_recover_forgets_all;
    pub mod key_store_recover_keeps_running;
    pub mod key_store_replay_refusal_runs_again;
    pub mod key_store_stuck_in_progress;
    pub mod payment_amount_in_u32;
    pub mod payment_insert_overwrites;
    pub mod payment_intent_in_memory;
    pub mod payment_new_intent_per_retry;
    pub mod payment_no_redrive_confirm;
    pub mod payment_no_redrive_create;
    pub mod payment_paid_when_confirming;
    pub mod payment_unknown_as_declined;
}

pub mod quorums {
    pub mod arithmetic_byzantine_2f1;
    pub mod arithmetic_byzantine_3f;
    pub mod arithmetic_crashes_2f;
    pub mod arithmetic_half_quorum;
    pub mod arithmetic_majority_ceil;
    pub mod arithmetic_no_size_check;
    pub mod arithmetic_overlap_both_majorities;
    pub mod arithmetic_overlap_ignores_n;
    pub mod arithmetic_rw_ge_n;
    pub mod arithmetic_tolerates_half;
    pub mod read_repair_counts_duplicates;
    pub mod read_repair_ignores_op;
    pub mod read_repair_local_counter;
    pub mod read_repair_no_repair;
    pub mod read_repair_no_tiebreak;
    pub mod read_repair_quorum_of_two;
    pub mod read_repair_repairs_in_background;
    pub mod read_repair_trusts_first_reply;
    pub mod replicas_counts_messages;
    pub mod replicas_first_reply;
    pub mod replicas_newest_by_value;
    pub mod replicas_one_more_than_quorum;
    pub mod replicas_result_after_unavailable;
    pub mod replicas_stale_replies;
    pub mod replicas_timer_never_cancelled;
    pub mod replicas_waits_for_all;
    pub mod replicas_write_quorum_for_reads;
}

/// Calls `$m!` with the whole corpus, one `exercise, Impls field, bind macro, module;` each.
macro_rules! for_each_wrong {
    ($m:ident) => {
        $m! {
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_no_cap;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_no_jitter;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_overflow;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_jitter_then_cap;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_linear;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_exponent_clamped;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_float_exponent;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_equal_jitter;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_counts_from_one;
            "retries::backoff", backoff, bind_backoff, wrong::retries::backoff_exclusive_range;
            "retries::call", call, bind_call, wrong::retries::call_one_attempt_too_many;
            "retries::call", call, bind_call, wrong::retries::call_unknown_as_failed;
            "retries::call", call, bind_call, wrong::retries::call_retries_non_idempotent;
            "retries::call", call, bind_call, wrong::retries::call_ignores_deadline;
            "retries::call", call, bind_call, wrong::retries::call_no_pause;
            "retries::call", call, bind_call, wrong::retries::call_retries_invalid;
            "retries::call", call, bind_call, wrong::retries::call_gives_up_after_busy;
            "retries::call", call, bind_call, wrong::retries::call_ignores_late_ok;
            "retries::call", call, bind_call, wrong::retries::call_answers_after_verdict;
            "retries::call", call, bind_call, wrong::retries::call_no_deadline_timer;
            "retries::call", call, bind_call, wrong::retries::call_busy_forgets_lost_reply;
            "retries::call", call, bind_call, wrong::retries::call_deadline_per_attempt;
            "retries::budget", budget, bind_budget, wrong::retries::budget_no_cap;
            "retries::budget", budget, bind_budget, wrong::retries::budget_unlimited;
            "retries::budget", budget, bind_budget, wrong::retries::budget_never_refills;
            "retries::budget", budget, bind_budget, wrong::retries::budget_refill_to_reserve;
            "retries::budget", budget, bind_budget, wrong::retries::budget_whole_percent;
            "retries::budget", budget, bind_budget, wrong::retries::budget_cap_plus_one;
            "retries::budget", budget, bind_budget, wrong::retries::budget_starts_empty;
            "retries::budget", budget, bind_budget, wrong::retries::budget_refusal_spends;
            "retries::budget", budget, bind_budget, wrong::retries::budget_float_tolerant;
            "retries::budget", budget, bind_budget, wrong::retries::budget_float_naive;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_memory_only;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_recorded_after_effect;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_global_keys;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_replay_refusal_runs_again;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_recover_forgets_all;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_recover_keeps_running;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_conflict_in_progress;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_ignores_payload;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_stuck_in_progress;
            "idempotency::key_store", key_store, bind_key_store, wrong::idempotency::key_store_key_concatenated;
            "idempotency::payment", payment, bind_payment, wrong::idempotency::payment_intent_in_memory;
            "idempotency::payment", payment, bind_payment, wrong::idempotency::payment_new_intent_per_retry;
            "idempotency::payment", payment, bind_payment, wrong::idempotency::payment_unknown_as_declined;
            "idempotency::payment", payment, bind_payment, wrong::idempotency::payment_paid_when_confirming;
            "idempotency::payment", payment, bind_payment, wrong::idempotency::payment_no_redrive_confirm;
            "idempotency::payment", payment, bind_payment, wrong::idempotency::payment_no_redrive_create;
            "idempotency::payment", payment, bind_payment, wrong::idempotency::payment_insert_overwrites;
            "idempotency::payment", payment, bind_payment, wrong::idempotency::payment_amount_in_u32;
            "idempotency::consumer", consumer, bind_consumer, wrong::idempotency::consumer_mark_in_memory;
            "idempotency::consumer", consumer, bind_consumer, wrong::idempotency::consumer_no_order;
            "idempotency::consumer", consumer, bind_consumer, wrong::idempotency::consumer_acks_early;
            "idempotency::consumer", consumer, bind_consumer, wrong::idempotency::consumer_nacks_duplicates;
            "idempotency::consumer", consumer, bind_consumer, wrong::idempotency::consumer_one_mark_for_all_streams;
            "idempotency::consumer", consumer, bind_consumer, wrong::idempotency::consumer_key_concatenated;
            "idempotency::consumer", consumer, bind_consumer, wrong::idempotency::consumer_buffers_early_in_memory;
            "idempotency::consumer", consumer, bind_consumer, wrong::idempotency::consumer_mark_starts_at_one;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_half_quorum;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_rw_ge_n;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_byzantine_2f1;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_overlap_both_majorities;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_overlap_ignores_n;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_byzantine_3f;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_crashes_2f;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_tolerates_half;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_majority_ceil;
            "quorums::arithmetic", arithmetic, bind_arithmetic, wrong::quorums::arithmetic_no_size_check;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_first_reply;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_counts_messages;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_waits_for_all;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_stale_replies;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_newest_by_value;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_one_more_than_quorum;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_write_quorum_for_reads;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_timer_never_cancelled;
            "quorums::replicas", replicas, bind_replicas, wrong::quorums::replicas_result_after_unavailable;
            "quorums::read_repair", read_repair, bind_read_repair, wrong::quorums::read_repair_no_repair;
            "quorums::read_repair", read_repair, bind_read_repair, wrong::quorums::read_repair_no_tiebreak;
            "quorums::read_repair", read_repair, bind_read_repair, wrong::quorums::read_repair_local_counter;
            "quorums::read_repair", read_repair, bind_read_repair, wrong::quorums::read_repair_quorum_of_two;
            "quorums::read_repair", read_repair, bind_read_repair, wrong::quorums::read_repair_ignores_op;
            "quorums::read_repair", read_repair, bind_read_repair, wrong::quorums::read_repair_counts_duplicates;
            "quorums::read_repair", read_repair, bind_read_repair, wrong::quorums::read_repair_trusts_first_reply;
            "quorums::read_repair", read_repair, bind_read_repair, wrong::quorums::read_repair_repairs_in_background;
        }
    };
}
