"""Reads one streamed turn from the mock with an official SDK's streaming
client and prints what the SDK parsed: {"text": ..., "calls": [[name, args]]}.
Usage: check.py SDK HOST_URL   (SDK: openai, openai-responses, anthropic,
gemini, ollama; HOST_URL: http://127.0.0.1:PORT). Run by tests/sdk.rs."""
import json
import sys

sdk, host = sys.argv[1], sys.argv[2]
params = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
text, calls = "", []

if sdk == "openai":
    from openai import OpenAI
    c = OpenAI(base_url=host + "/v1", api_key="k", max_retries=0)
    tools = [{"type": "function", "function": {"name": "read", "description": "Read", "parameters": params}}]
    with c.chat.completions.stream(model="m", messages=[{"role": "user", "content": "hi"}], tools=tools) as s:
        for _ in s:
            pass
        msg = s.get_final_completion().choices[0].message
    text = msg.content or ""
    calls = [[t.function.name, json.loads(t.function.arguments)] for t in msg.tool_calls or []]
elif sdk == "openai-responses":
    from openai import OpenAI
    c = OpenAI(base_url=host + "/v1", api_key="k", max_retries=0)
    tools = [{"type": "function", "name": "read", "description": "Read", "parameters": params, "strict": False}]
    with c.responses.stream(model="m", input="hi", tools=tools) as s:
        for _ in s:
            pass
        r = s.get_final_response()
    text = r.output_text
    calls = [[o.name, json.loads(o.arguments)] for o in r.output if o.type == "function_call"]
elif sdk == "anthropic":
    from anthropic import Anthropic
    c = Anthropic(base_url=host, api_key="k", max_retries=0)
    tools = [{"name": "read", "description": "Read", "input_schema": params}]
    hi = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    with c.messages.stream(model="m", max_tokens=100, messages=hi, tools=tools) as s:
        for _ in s:
            pass
        msg = s.get_final_message()
    text = "".join(b.text for b in msg.content if b.type == "text")
    calls = [[b.name, b.input] for b in msg.content if b.type == "tool_use"]
elif sdk == "gemini":
    from google import genai
    from google.genai import types
    c = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=host, api_version="v1beta"))
    decl = types.FunctionDeclaration(name="read", description="Read", parameters_json_schema=params)
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[decl])])
    for chunk in c.models.generate_content_stream(model="m", contents="hi", config=config):
        for p in chunk.candidates[0].content.parts or []:
            if p.text:
                text += p.text
            if p.function_call:
                calls.append([p.function_call.name, dict(p.function_call.args)])
elif sdk == "ollama":
    from ollama import Client
    c = Client(host=host)
    tools = [{"type": "function", "function": {"name": "read", "description": "Read", "parameters": params}}]
    for part in c.chat(model="m", messages=[{"role": "user", "content": "hi"}], tools=tools, stream=True):
        text += part.message.content or ""
        for t in part.message.tool_calls or []:
            calls.append([t.function.name, dict(t.function.arguments)])
else:
    sys.exit("unknown SDK " + sdk)

print(json.dumps({"text": text, "calls": calls}))
