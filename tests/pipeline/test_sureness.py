"""How sure the analysis is of a suggestion's place: the review queue's order."""

from __future__ import annotations

from pipeline.sureness import FLAG_SURENESS, QUEUE_SURE, Placement, doubts, semantic_doubt, sureness


def test_no_doubt_keeps_a_suggestion_out_of_the_queue():
    assert sureness(Placement(text="建议第三条增加头盔要求。", scope="article")) == QUEUE_SURE


def test_a_weak_semantic_match_is_as_sure_as_its_score():
    d = semantic_doubt((0.31, 0.05))
    assert (d.kind, d.sureness, d.detail) == ("low_score", 0.31, "0.31")


def test_two_close_articles_are_doubted_by_four_times_their_margin():
    d = semantic_doubt((0.8, 0.75))
    assert d.kind == "small_margin" and abs(d.sureness - 0.2) < 1e-9 and d.detail == "相差0.05"


def test_the_least_sure_doubt_decides_and_every_doubt_is_listed():
    p = Placement(text="主持人：下面请大家发言。", scope="chapter", semantic_scores=(0.9,), reference_problems=True)
    kinds = [d.kind for d in doubts(p)]
    assert kinds == ["low_score", "missing_article", "chapter", "host"]
    assert sureness(p) == FLAG_SURENESS["missing_article"]


def test_complaints_doubted_citations_and_unplaced_suggestions_are_flagged():
    assert [d.kind for d in doubts(Placement(text="我要投诉物业。", scope="general", unplaced=True))] == [
        "complaint", "unplaced"]
    assert sureness(Placement(text="第五十四条", scope="article", citation_doubted=True)) == FLAG_SURENESS[
        "citation_mismatch"]
