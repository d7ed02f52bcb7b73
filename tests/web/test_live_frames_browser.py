"""Chromium negotiates per-message deflate on the app's websocket and inflates
the live frames the server compressed once for every socket (web/ws_frames.py)."""

from typing import Any

from revgraph.web import ws_frames
from tests.pipeline.support import board, create_deal, create_pipeline, move, settled
from tests.pipeline.test_board_events import BOARD_EVENTS

# In the page: a graphql-transport-ws subscriber keeping every board event's
# sequence in window.received; resolves with the negotiated extensions.
SUBSCRIBE = """
async ([url, token, query, variables]) => {
  window.received = [];
  window.problems = [];
  const socket = new WebSocket(url, "graphql-transport-ws");
  await new Promise((opened, failed) => { socket.onopen = opened; socket.onerror = failed; });
  const acknowledged = new Promise((done) => {
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") done();
      else if (message.type === "ping") socket.send(JSON.stringify({type: "pong"}));
      else if (message.type === "next") window.received.push(message.payload.data.boardEvents);
      else if (message.type !== "pong") window.problems.push(message);
    };
  });
  socket.onclose = (event) => window.problems.push({closed: event.code});
  socket.send(JSON.stringify({type: "connection_init", payload: {authorization: "Bearer " + token}}));
  await acknowledged;
  socket.send(JSON.stringify({id: "b", type: "subscribe", payload: {query, variables}}));
  window.liveSocket = socket;
  return socket.extensions;
}
"""


async def test_chromium_inflates_the_shared_compressed_frames(open_page, server, gql, workspace, monkeypatch):
    written: list[bool] = []
    original = ws_frames.FrameWriter.write

    def spying_write(self: Any, text: bytes) -> bool:
        sent = original(self, text)
        if sent:
            written.append(self.compressed)
        return sent

    monkeypatch.setattr(ws_frames.FrameWriter, "write", spying_write)
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"], title="Apartamento São João")
    since = (await board(gql, workspace.token, pipeline["id"]))["boardSequence"]
    page = await open_page()
    extensions = await page.evaluate(
        SUBSCRIBE,
        [server.ws_url, workspace.token, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": since}],
    )
    assert "permessage-deflate" in extensions and "server_no_context_takeover" in extensions
    await settled(pipeline["id"], subscribers=1)
    stages = [
        pipeline["stage"]["Em contato"],
        pipeline["stage"]["Novo lead"],
        pipeline["stage"]["Em contato"],
    ]
    for stage in stages:
        await move(gql, workspace.token, dealId=deal["id"], stageId=stage)
    await page.wait_for_function(f"window.received.length >= {len(stages)} || window.problems.length > 0")
    received = await page.evaluate("window.received")
    assert await page.evaluate("window.problems") == []
    assert [event["sequence"] for event in received] == [since + 1, since + 2, since + 3]
    assert {event["deal"]["title"] for event in received} == {"Apartamento São João"}
    assert [event["deal"]["stage"]["name"] for event in received] == ["Em contato", "Novo lead", "Em contato"]
    # all three went straight to the socket, compressed
    assert written == [True, True, True]
    await page.evaluate("window.liveSocket.close()")
