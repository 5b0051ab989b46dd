import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { LeaderSilence, silentLeaderViews } from "../../src/consensus/index.ts";

describe("LeaderSilence", () => {
  it("a validator is silent after more than silentLeaderViews views entered without a word, and heard again at its next message", () => {
    const silence = new LeaderSilence(4, "all");
    const views = silentLeaderViews(4);
    assert.equal(views, 8);
    for (let view = 1; view <= views; view++) {
      silence.enter(view);
      silence.heard(0);
    }
    assert.equal(silence.isSilent(3), false, `${views} views: not yet`);
    silence.enter(views + 1);
    assert.equal(silence.isSilent(3), true);
    assert.equal(silence.isSilent(0), false, "heard in every view but this one");
    silence.heard(3);
    assert.equal(silence.isSilent(3), false);
  });

  it("counts views entered, not view numbers: a jump ahead is one view, and a view entered again counts once", () => {
    const silence = new LeaderSilence(4, "all");
    silence.enter(5);
    silence.enter(1_000_000);
    silence.enter(1_000_000);
    silence.enter(999_999);
    for (let view = 1_000_001; view <= 1_000_006; view++) silence.enter(view);
    assert.equal(silence.isSilent(1), false, "8 views entered: at the limit");
    silence.enter(1_000_007);
    assert.equal(silence.isSilent(1), true, "9 views entered");
  });

  it("ignores senders outside the set (the sender field is not checked yet) and scales with the set", () => {
    const silence = new LeaderSilence(2, "all");
    for (const index of [-1, 2, 1.5, Number.NaN]) silence.heard(index);
    assert.equal(silence.isSilent(7), false, "an index outside the set is never silent");
    assert.equal(silentLeaderViews(16), 32);
  });

  it("with votes to the next leader only, a running validator is not heard every view, so nobody is silent", () => {
    const silence = new LeaderSilence(4, "nextLeader");
    for (let view = 1; view <= 50; view++) assert.equal(silence.enter(view), true, "each view is entered once");
    assert.equal(silence.enter(50), false);
    assert.equal(silence.isSilent(3), false);
  });
});
