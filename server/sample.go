package main

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// The sample workshop: a board already filled with the cards of a made-up
// service, so that a facilitator can rehearse alone. POST /api/workshops
// with "sample": true makes one.

// defaultSampleTitle is the sample's title when none is given.
const defaultSampleTitle = "Sample: Riverside Youth Project — how young people shape our survey"

// samplePeople are the sample's made-up participants; names are empty or
// plainly not real people's.
var samplePeople = []hub.SeedPerson{
	{Name: "Sam (sample staff)", Role: board.RoleStaff},
	{Name: "Jordan (sample)", Role: board.RoleServiceUser},
	{Name: "", Role: board.RoleServiceUser},
	{Name: "Kai (sample)", Role: board.RoleServiceUser},
	{Name: "", Role: board.RoleStaff},
}

// sampleCard is one card of the sample: who wrote it (an index into
// samplePeople), where it sits ("" for the tray) and what it says.
type sampleCard struct {
	by           int
	stage, level string
	text         string
}

var sampleCards = []sampleCard{
	{0, "plan", "consultation", "Run a quick poll at youth club: which changes in your life should we be asking about?"},
	{1, "plan", "conversation", "Talk with us about what “feeling more confident” really means before you try to measure it."},
	{2, "plan", "participation", "Young people on the steering group choose the final survey questions."},
	{4, "do", "consultation", "Ask a few of us to try the survey on our phones before it goes out to everyone."},
	{3, "do", "conversation", "Agree together when to hand the survey out, so it does not eat into session time."},
	{1, "do", "participation", "Train two young people as peer interviewers, and pay them for their time."},
	{0, "assess", "consultation", "Share the first results at the Thursday drop-in and ask whether they ring true."},
	{2, "assess", "conversation", "Go through the numbers with us and tell us what surprised you."},
	{3, "assess", "participation", "A youth panel helps sort the written comments into themes."},
	{4, "review", "consultation", "Put up a “you said, we did” board in the main hall."},
	{1, "review", "conversation", "Young people and trustees meet to decide together what changes next year."},
	{2, "review", "participation", "Young people present the findings to our funders themselves."},
	{3, "", "", "Make sure no one can tell who gave which answer."},
	{0, "", "", "Could we offer a voucher or a free trip for taking part?"},
	{2, "", "", "Keep it short: ten questions at most."},
}

// sampleVotes are the sample's votes: who votes (an index into
// samplePeople) for which card (an index into sampleCards).
var sampleVotes = []struct{ by, card int }{
	{1, 2}, {1, 5}, {3, 12}, {3, 5}, {0, 11},
}

// sampleTitle is the title of a sample workshop: the one given, marked as
// a sample if it is not already, or the default one.
func sampleTitle(given *string) string {
	if given == nil || strings.TrimSpace(*given) == "" {
		return defaultSampleTitle
	}
	t := strings.TrimSpace(*given)
	if !strings.HasPrefix(strings.ToLower(t), "sample") {
		t = "Sample: " + t
	}
	return t
}

// seedSample fills a new workshop with the sample's people, cards and
// votes.
func (a *api) seedSample(ctx context.Context, w board.Workshop) error {
	ops := make([]hub.SeedOp, 0, len(sampleCards)+len(sampleVotes))
	ids := make([]string, len(sampleCards))
	for i, c := range sampleCards {
		ids[i] = uuid.NewString()
		in := &board.CardInput{ID: ids[i], Text: c.text}
		if c.stage != "" {
			in.Stage, in.Level = new(c.stage), new(c.level)
		}
		ops = append(ops, hub.SeedOp{By: c.by, Op: board.Op{Kind: board.KindCardAdd, Card: in}})
	}
	for _, v := range sampleVotes {
		ops = append(ops, hub.SeedOp{By: v.by, Op: board.Op{Kind: board.KindCardVote, CardID: ids[v.card], Delta: new(1)}})
	}
	return a.hub.Seed(ctx, w, samplePeople, ops)
}
