"""A Python client of the Robocoders API, tested against `robocoders emulate` through its admin API.

Standard library only. Run it with the CLI on PATH (or ROBOCODERS_CLI="node dist/cli/main.js"):

    python3 -m unittest examples/python/test_emulator_client.py -v

The emulator is started on a free port for the whole test class; each test resets it through the admin API
(`/__emulator/...`), drives the client, then checks what the emulator saw and sent.
"""

import json
import os
import shlex
import subprocess
import unittest
import urllib.error
import urllib.request
from html.parser import HTMLParser
from http.client import IncompleteRead


class TokenPage(HTMLParser):
    """Collects the text of <pre id="token">, as the reference client does."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.token = ""

    def handle_starttag(self, tag, attrs):
        if tag == "pre" and ("id", "token") in attrs:
            self.inside = True

    def handle_endtag(self, tag):
        if tag == "pre":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.token += data


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status


class BrokenStream(Exception):
    pass


class MiniClient:
    """The client under test: token from /auth, one session, /chat with one automatic `continue`."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.token = None
        self.sid = None

    def _request(self, method, path, body=None):
        headers = {"accept": "*/*"}
        if self.token is not None:
            headers["authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            return urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode("utf-8", "replace")) from None

    def login(self):
        with self._request("GET", "/auth") as response:
            page = TokenPage()
            page.feed(response.read().decode())
        self.token = page.token.strip()
        with self._request("GET", "/create-session") as response:
            self.sid = json.load(response)["sid"]

    def _turn(self, prompt, agent):
        texts, waits = [], False
        with self._request("POST", "/chat", {"sid": self.sid, "prompt": prompt, "agent": agent}) as response:
            try:
                # read() raises IncompleteRead when a chunked body ends without its final chunk.
                body = response.read()
            except (IncompleteRead, ConnectionError) as error:
                raise BrokenStream("the stream broke off") from error
        for raw in body.decode().split("\n"):
            line = raw.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            args = event.get("args") if isinstance(event.get("args"), dict) else {}
            text = args.get("content") or event.get("message")
            if text:
                texts.append(text)
            if event.get("action") == "message" and args.get("wait_for_response"):
                waits = True
        return texts, waits

    def ask(self, prompt, agent="GeneralCodingAgent"):
        if self.token is None:
            self.login()
        texts, waits = self._turn(prompt, agent)
        if waits:
            more, _ = self._turn("continue", agent)
            texts += more
        return texts


class EmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        command = shlex.split(os.environ.get("ROBOCODERS_CLI", "robocoders")) + ["emulate", "--port", "0"]
        cls.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.url = cls.process.stdout.readline().strip()
        if not cls.url.startswith("http://"):
            cls.process.kill()
            raise RuntimeError(f"robocoders emulate printed {cls.url!r} instead of its URL")

    @classmethod
    def tearDownClass(cls):
        cls.process.terminate()
        cls.process.wait(timeout=10)
        cls.process.stdout.close()

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"content-type": "application/json"}
        request = urllib.request.Request(f"{self.url}/__emulator{path}", data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def setUp(self):
        self.admin("POST", "/reset")
        self.admin("DELETE", "/faults")

    def test_a_conversation_uses_one_token_and_one_session(self):
        client = MiniClient(self.url)
        texts = client.ask("Write a Python script that adds two numbers")
        stats = self.admin("GET", "/stats")
        self.assertEqual(stats["requests"]["auth"], 1)
        self.assertEqual(stats["requests"]["create-session"], 1)
        self.assertEqual(stats["requests"]["chat"], 2)
        self.assertEqual(stats["chatStreams"]["completed"], 2)
        # The client delivered exactly what the emulator sent, in order.
        chats = self.admin("GET", f"/chats?sid={client.sid}&lines=false")["chats"]
        self.assertEqual([c["prompt"] for c in chats], ["Write a Python script that adds two numbers", "continue"])
        self.assertEqual(texts, chats[0]["texts"] + chats[1]["texts"])
        self.assertEqual(texts[-1], "All done! What's next on the agenda?")

    def test_a_503_is_reported_and_the_next_call_succeeds(self):
        client = MiniClient(self.url)
        client.login()
        added = self.admin("POST", "/faults", {"spec": "status=503, endpoint=chat, count=1"})
        self.assertEqual(added["faults"][0]["remaining"], 1)
        with self.assertRaises(ApiError) as caught:
            client.ask("hello")
        self.assertEqual(caught.exception.status, 503)
        self.assertEqual(self.admin("GET", "/faults")["faults"][0]["remaining"], 0)
        self.assertTrue(client.ask("hello"))
        self.assertEqual(self.admin("GET", "/stats")["statuses"]["chat"], {"200": 2, "503": 1})

    def test_a_stream_cut_mid_line_is_an_error_not_a_short_answer(self):
        client = MiniClient(self.url)
        client.login()
        self.admin("POST", "/faults", {"rule": {"cutMidLine": 0, "count": 1}})
        with self.assertRaises(BrokenStream):
            client.ask("hello")
        chats = self.admin("GET", "/chats?lines=false")["chats"]
        self.assertEqual(chats[-1]["outcome"], "cut-mid-line")

    def test_an_expired_or_revoked_token_is_refused(self):
        expired = MiniClient(self.url)
        expired.token = self.admin("POST", "/tokens", {"expiresInSeconds": -60, "sub": "py-test"})["token"]
        with self.assertRaises(ApiError) as caught:
            expired.ask("hello")
        self.assertEqual(caught.exception.status, 401)
        client = MiniClient(self.url)
        client.login()
        self.admin("DELETE", "/tokens")
        with self.assertRaises(ApiError) as caught:
            client.ask("hello")
        self.assertEqual(caught.exception.status, 401)

    def test_a_forgotten_session_answers_404(self):
        client = MiniClient(self.url)
        client.login()
        self.admin("DELETE", f"/sessions/{client.sid}")
        with self.assertRaises(ApiError) as caught:
            client.ask("hello")
        self.assertEqual(caught.exception.status, 404)


if __name__ == "__main__":
    unittest.main()
