// Requests awaiting their answers (pairing) are kept by number: bounded, the oldest forgotten first
// and counted, a request in place of an earlier one with its lane and id forgetting nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Session } from "../../dissectors/session.js";

const LIMIT = 65536;

describe("the session's pending requests", () => {
  it("keep a request per lane and id", () => {
    const session = new Session();
    session.requests.remember(1, 7, "a");
    session.requests.remember(2, 7, "b");
    session.requests.remember("ns:-1:0", 7, "c");
    session.requests.remember(1, 7, "d");
    assert.equal(session.requests.recall(1, 7), "d");
    assert.equal(session.requests.recall(2, 7), "b");
    assert.equal(session.requests.recall("ns:-1:0", 7), "c");
    assert.equal(session.requests.recall(1, 8), undefined);
    assert.equal(session.forgotten, 0);
  });

  it("forget the oldest past the bound, and say so", () => {
    const session = new Session();
    for (let id = 0; id < LIMIT; id++) session.requests.remember(id % 3, id, id);
    assert.equal(session.forgotten, 0);
    // Replacing a kept request makes it the newest and forgets nothing.
    session.requests.remember(0, 0, "again");
    assert.equal(session.forgotten, 0);
    session.requests.remember(5, 1, "new");
    assert.equal(session.forgotten, 1);
    assert.equal(session.requests.recall(1, 1), undefined, "the oldest went");
    assert.equal(session.requests.recall(0, 0), "again");
    assert.equal(session.requests.recall(5, 1), "new");
    assert.equal(session.requests.recall(2, 2), 2);
  });

  it("stay bounded when every request comes on a lane of its own", () => {
    const session = new Session();
    for (let lane = 0; lane < 3 * LIMIT; lane++) session.requests.remember(lane, 1, lane);
    assert.equal(session.forgotten, 2 * LIMIT);
    assert.equal(session.requests.recall(3 * LIMIT - 1, 1), 3 * LIMIT - 1);
    assert.equal(session.requests.recall(2 * LIMIT - 1, 1), undefined);
    // A new request on the lane whose only request is the oldest: that lane goes, and comes back.
    const oldest = 2 * LIMIT;
    session.requests.remember(oldest, 2, "same lane");
    assert.equal(session.requests.recall(oldest, 2), "same lane");
    assert.equal(session.requests.recall(oldest, 1), undefined);
  });
});
