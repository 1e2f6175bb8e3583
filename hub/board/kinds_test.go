package board

import (
	"slices"
	"testing"
)

// TestKindsAreTheContracts: the declared kinds are the contract's, each
// with a check and an effect, and only those that act beyond the board
// are barriers.
func TestKindsAreTheContracts(t *testing.T) {
	want := []string{
		KindCardAdd, KindCardAgree, KindCardDelete, KindCardEdit, KindCardMove, KindCardVote,
		KindConsentSet, KindFocusSet, KindParticipantRemove, KindPhaseSet, KindStageAgree, KindTimerSet, KindVotesSet,
		// v1.1, and this server's own
		KindResultsSet, KindJoinsSet, KindApprovalSet, KindCardApprove, KindConsentRound, KindCellSort,
	}
	slices.Sort(want)
	if got := Kinds(); !slices.Equal(got, want) {
		t.Fatalf("Kinds() = %v, want %v", got, want)
	}
	for _, name := range want {
		k := kinds[name]
		if k.prepare == nil || k.apply == nil {
			t.Errorf("%s: prepare or apply missing", name)
		}
		barrier := name == KindPhaseSet || name == KindParticipantRemove || name == KindCardApprove || name == KindResultsSet
		if got, want := IsBarrier(name), barrier; got != want {
			t.Errorf("IsBarrier(%s) = %v, want %v", name, got, want)
		}
		if got, want := carriesText(name), name == KindCardAdd || name == KindCardEdit; got != want {
			t.Errorf("carriesText(%s) = %v, want %v", name, got, want)
		}
		if got, want := isBallot(name), name == KindCardVote || name == KindConsentSet; got != want {
			t.Errorf("isBallot(%s) = %v, want %v", name, got, want)
		}
	}
	if IsBarrier("card.fly") || carriesText("card.fly") {
		t.Error("an unknown kind is a barrier or carries text")
	}
}
