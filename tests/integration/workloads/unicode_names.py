# Workload: non-ASCII and long function names (UTF-8 in the markers).
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def naïve_ünïcode():
    return 1


def 函数():
    return naïve_ünïcode() + 1


def a_function_whose_name_is_rather_long_because_some_code_generators_and_test_frameworks_produce_names_like_this_one_and_a_tracer_must_show_them_whole_without_cutting_or_mangling_them_even_when_they_are_far_longer_than_any_name_a_person_would_type_by_hand_0123456789_abcdefghijklmnopqrstuvwxyz():
    return 函数()


def main():
    naïve_ünïcode()
    a_function_whose_name_is_rather_long_because_some_code_generators_and_test_frameworks_produce_names_like_this_one_and_a_tracer_must_show_them_whole_without_cutting_or_mangling_them_even_when_they_are_far_longer_than_any_name_a_person_would_type_by_hand_0123456789_abcdefghijklmnopqrstuvwxyz()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
