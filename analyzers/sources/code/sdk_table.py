"""Which calls send prompts to a model, and which argument carries what.

One row per call pattern; adding an SDK is adding rows.  Field meanings:

- ``api``: suffix of the callee's dotted name (``chat.completions.create`` matches
  ``client.chat.completions.create`` and ``self.client.chat.completions.create``).
- ``languages``: "python", "js" or both.
- ``evidence``: module names whose import in the file (or in the module a client
  comes from) proves the SDK is in use (prefix match on ``.`` / ``/``).  ``specific``
  rows need no evidence: the pattern alone is an LLM call.
- ``receivers``: constructors whose result the call must be made on
  (``ChatOpenAI(...).invoke``); their options count too (model, system_instruction).
- ``system`` / ``messages`` / ``prompt`` / ``model`` / ``schema``: option paths;
  a dotted path goes into a nested object (``config.system_instruction``).  ``prompt``
  options are a single user turn.  ``positional`` names positional arguments.
- ``requires``: options that must be present (instructor's ``response_model``).
- ``template``: "format" when the text is a ``{name}`` template (LangChain).
- ``standalone``: a message/template constructor; not a site when it is consumed
  by another site's messages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallPattern:
    sdk: str
    api: str
    languages: tuple[str, ...] = ("python", "js")
    evidence: tuple[str, ...] = ()
    specific: bool = False
    receivers: tuple[str, ...] = ()
    system: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    prompt: tuple[str, ...] = ()
    model: tuple[str, ...] = ("model",)
    schema: tuple[str, ...] = ()
    positional: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    template: str | None = None
    standalone: bool = False
    role_option: str | None = None  # the option holding a message constructor's role


PY, JS, BOTH = ("python",), ("js",), ("python", "js")

_OPENAI_EVIDENCE = ("openai", "azure.ai.inference", "groq", "@azure/openai", "@azure-rest/ai-inference")
_OPENAI_SCHEMA = ("response_format", "tools", "functions", "response_model")
_ANTHROPIC_SCHEMA = ("tools", "tool_choice", "response_model")
_GOOGLE_SCHEMA = ("config.response_schema", "config.response_json_schema", "config.tools", "config.responseSchema", "config.responseJsonSchema", "config.tools", "generation_config.response_schema", "tools", "response_model")
_LC_CHAT_MODELS = (
    "ChatOpenAI", "AzureChatOpenAI", "ChatAnthropic", "ChatGoogleGenerativeAI", "ChatVertexAI", "ChatMistralAI",
    "ChatOllama", "ChatBedrock", "ChatBedrockConverse", "ChatCohere", "ChatGroq", "ChatLiteLLM", "ChatFireworks",
    "ChatTogether", "ChatDeepSeek", "ChatXAI", "ChatPerplexity", "init_chat_model", "initChatModel",
)
_LC_EVIDENCE = ("langchain", "langchain_core", "langchain_openai", "langchain_anthropic", "langchain_community", "@langchain", "langchain/")
_AI_SDK_SCHEMA = ("schema", "output", "experimental_output", "tools")

CALL_PATTERNS: tuple[CallPattern, ...] = (
    # instructor before OpenAI: same call, the response_model names the SDK
    CallPattern("instructor", "chat.completions.create", PY, evidence=("instructor",), requires=("response_model",), system=(), messages=("messages",), schema=_OPENAI_SCHEMA),
    CallPattern("instructor", "create", PY, evidence=("instructor",), requires=("response_model",), messages=("messages",), schema=("response_model",)),
    CallPattern("instructor", "create_with_completion", PY, evidence=("instructor",), requires=("response_model",), messages=("messages",), schema=("response_model",)),
    # OpenAI and OpenAI-compatible clients
    CallPattern("openai", "beta.chat.completions.parse", BOTH, specific=True, messages=("messages",), schema=_OPENAI_SCHEMA),
    CallPattern("openai", "chat.completions.parse", BOTH, specific=True, messages=("messages",), schema=_OPENAI_SCHEMA),
    CallPattern("openai", "chat.completions.create", BOTH, specific=True, messages=("messages",), schema=_OPENAI_SCHEMA),
    CallPattern("openai", "chat.completions.stream", BOTH, specific=True, messages=("messages",), schema=_OPENAI_SCHEMA),
    CallPattern("openai", "responses.create", BOTH, evidence=_OPENAI_EVIDENCE, system=("instructions",), messages=("input",), schema=("text_format", "text.format", "tools", "text")),
    CallPattern("openai", "responses.parse", BOTH, evidence=_OPENAI_EVIDENCE, system=("instructions",), messages=("input",), schema=("text_format", "text.format", "tools", "text")),
    CallPattern("openai", "responses.stream", BOTH, evidence=_OPENAI_EVIDENCE, system=("instructions",), messages=("input",), schema=("text_format", "text.format", "tools", "text")),
    CallPattern("openai", "beta.assistants.create", BOTH, evidence=_OPENAI_EVIDENCE, system=("instructions",), schema=("response_format", "tools")),
    CallPattern("openai", "completions.create", BOTH, evidence=_OPENAI_EVIDENCE, prompt=("prompt",)),
    CallPattern("openai", "ChatCompletion.create", PY, evidence=("openai",), messages=("messages",), schema=_OPENAI_SCHEMA),
    # Anthropic
    CallPattern("anthropic", "beta.messages.create", BOTH, evidence=("anthropic", "@anthropic-ai/sdk"), system=("system",), messages=("messages",), schema=_ANTHROPIC_SCHEMA),
    CallPattern("anthropic", "messages.create", BOTH, evidence=("anthropic", "@anthropic-ai/sdk", "@anthropic-ai/bedrock-sdk", "@anthropic-ai/vertex-sdk"), system=("system",), messages=("messages",), schema=_ANTHROPIC_SCHEMA),
    CallPattern("anthropic", "messages.stream", BOTH, evidence=("anthropic", "@anthropic-ai/sdk"), system=("system",), messages=("messages",), schema=_ANTHROPIC_SCHEMA),
    CallPattern("anthropic", "messages.parse", BOTH, evidence=("anthropic", "@anthropic-ai/sdk"), system=("system",), messages=("messages",), schema=("output_format", "tools")),
    # Google GenAI (google-genai / @google/genai) and the older generativeai SDKs
    CallPattern("google", "models.generate_content", PY, evidence=("google.genai", "google"), system=("config.system_instruction",), messages=("contents",), schema=_GOOGLE_SCHEMA),
    CallPattern("google", "models.generate_content_stream", PY, evidence=("google.genai", "google"), system=("config.system_instruction",), messages=("contents",), schema=_GOOGLE_SCHEMA),
    CallPattern("google", "models.generateContent", JS, evidence=("@google/genai",), system=("config.systemInstruction",), messages=("contents",), schema=_GOOGLE_SCHEMA),
    CallPattern("google", "models.generateContentStream", JS, evidence=("@google/genai",), system=("config.systemInstruction",), messages=("contents",), schema=_GOOGLE_SCHEMA),
    CallPattern("google", "generate_content", PY, receivers=("GenerativeModel",), system=("system_instruction",), messages=("contents",), model=("model_name", "model"), positional=("contents",), schema=("generation_config.response_schema", "tools", "response_schema")),
    CallPattern("google", "generateContent", JS, receivers=("getGenerativeModel",), system=("systemInstruction",), messages=("contents",), positional=("contents",), schema=("generationConfig.responseSchema", "tools")),
    # Mistral
    CallPattern("mistral", "chat.complete", BOTH, evidence=("mistralai", "@mistralai/mistralai"), messages=("messages",), schema=("response_format", "tools")),
    CallPattern("mistral", "chat.complete_async", PY, evidence=("mistralai",), messages=("messages",), schema=("response_format", "tools")),
    CallPattern("mistral", "chat.stream", BOTH, evidence=("mistralai", "@mistralai/mistralai"), messages=("messages",), schema=("response_format", "tools")),
    CallPattern("mistral", "chat.parse", BOTH, evidence=("mistralai", "@mistralai/mistralai"), messages=("messages",), schema=("response_format",)),
    CallPattern("mistral", "chat", PY, evidence=("mistralai",), messages=("messages",), schema=("response_format", "tools")),
    # Cohere (v1: message/preamble/chat_history; v2: messages)
    CallPattern("cohere", "chat", BOTH, evidence=("cohere", "cohere-ai"), system=("preamble",), messages=("chat_history", "chatHistory", "messages"), prompt=("message",), schema=("response_format", "responseFormat", "tools")),
    CallPattern("cohere", "chat_stream", BOTH, evidence=("cohere", "cohere-ai"), system=("preamble",), messages=("chat_history", "chatHistory", "messages"), prompt=("message",), schema=("response_format", "tools")),
    CallPattern("cohere", "chatStream", JS, evidence=("cohere-ai",), system=("preamble",), messages=("chatHistory", "messages"), prompt=("message",), schema=("responseFormat", "tools")),
    # Ollama
    CallPattern("ollama", "chat", BOTH, evidence=("ollama",), messages=("messages",), positional=("model", "messages"), schema=("format", "tools")),
    CallPattern("ollama", "generate", BOTH, evidence=("ollama",), system=("system",), prompt=("prompt",), positional=("model", "prompt"), schema=("format",)),
    # LiteLLM
    CallPattern("litellm", "completion", PY, evidence=("litellm",), messages=("messages",), positional=("model", "messages"), schema=_OPENAI_SCHEMA),
    CallPattern("litellm", "acompletion", PY, evidence=("litellm",), messages=("messages",), positional=("model", "messages"), schema=_OPENAI_SCHEMA),
    # AWS Bedrock runtime
    CallPattern("bedrock", "converse", PY, evidence=("boto3", "aioboto3"), system=("system",), messages=("messages",), model=("modelId",), schema=("toolConfig",)),
    CallPattern("bedrock", "converse_stream", PY, evidence=("boto3", "aioboto3"), system=("system",), messages=("messages",), model=("modelId",), schema=("toolConfig",)),
    CallPattern("bedrock", "invoke_model", PY, evidence=("boto3", "aioboto3"), system=("body.system",), messages=("body.messages",), prompt=("body.prompt", "body.inputText"), model=("modelId",), schema=("body.tools",)),
    CallPattern("bedrock", "ConverseCommand", JS, evidence=("@aws-sdk/client-bedrock-runtime",), system=("system",), messages=("messages",), model=("modelId",), schema=("toolConfig",)),
    CallPattern("bedrock", "ConverseStreamCommand", JS, evidence=("@aws-sdk/client-bedrock-runtime",), system=("system",), messages=("messages",), model=("modelId",), schema=("toolConfig",)),
    CallPattern("bedrock", "InvokeModelCommand", JS, evidence=("@aws-sdk/client-bedrock-runtime",), system=("body.system",), messages=("body.messages",), prompt=("body.prompt", "body.inputText"), model=("modelId",), schema=("body.tools",)),
    # Vercel AI SDK
    CallPattern("ai-sdk", "generateText", JS, evidence=("ai",), system=("system",), messages=("messages",), prompt=("prompt",), schema=_AI_SDK_SCHEMA),
    CallPattern("ai-sdk", "streamText", JS, evidence=("ai",), system=("system",), messages=("messages",), prompt=("prompt",), schema=_AI_SDK_SCHEMA),
    CallPattern("ai-sdk", "generateObject", JS, evidence=("ai",), system=("system",), messages=("messages",), prompt=("prompt",), schema=("schema", "output")),
    CallPattern("ai-sdk", "streamObject", JS, evidence=("ai",), system=("system",), messages=("messages",), prompt=("prompt",), schema=("schema", "output")),
    # LangChain: chat models, templates, system messages
    *(
        CallPattern("langchain", method, BOTH, receivers=_LC_CHAT_MODELS, messages=("input",), positional=("input",), model=("model", "model_name", "modelName"))
        for method in ("invoke", "ainvoke", "stream", "astream", "batch", "abatch", "predict_messages")
    ),
    CallPattern("langchain", "ChatPromptTemplate.from_messages", PY, evidence=_LC_EVIDENCE, messages=("messages",), positional=("messages",), template="format", model=()),
    CallPattern("langchain", "ChatPromptTemplate.fromMessages", JS, evidence=_LC_EVIDENCE, messages=("messages",), positional=("messages",), template="format", model=()),
    CallPattern("langchain", "SystemMessagePromptTemplate.from_template", PY, evidence=_LC_EVIDENCE, system=("template",), positional=("template",), template="format", model=(), standalone=True),
    CallPattern("langchain", "SystemMessagePromptTemplate.fromTemplate", JS, evidence=_LC_EVIDENCE, system=("template",), positional=("template",), template="format", model=(), standalone=True),
    CallPattern("langchain", "SystemMessage", BOTH, evidence=_LC_EVIDENCE, system=("content",), positional=("content",), model=(), standalone=True),
    # LlamaIndex
    CallPattern("llamaindex", "ChatMessage", BOTH, evidence=("llama_index", "llamaindex"), system=("content",), positional=(), model=(), standalone=True, role_option="role"),
    CallPattern("llamaindex", "chat", BOTH, evidence=("llama_index", "llamaindex"), messages=("messages",), positional=("messages",)),
    CallPattern("llamaindex", "achat", PY, evidence=("llama_index",), messages=("messages",), positional=("messages",)),
    CallPattern("llamaindex", "complete", BOTH, evidence=("llama_index", "llamaindex"), prompt=("prompt",), positional=("prompt",)),
    # agent frameworks: the constructor carries the system prompt
    CallPattern("pydantic-ai", "Agent", PY, evidence=("pydantic_ai",), system=("system_prompt", "instructions"), positional=("model",), schema=("output_type", "result_type", "tools")),
    CallPattern("openai-agents", "Agent", PY, evidence=("agents",), system=("instructions",), schema=("output_type", "tools")),
    CallPattern("openai-agents", "Agent", JS, evidence=("@openai/agents",), system=("instructions",), schema=("outputType", "tools")),
)

# Message constructors inside message lists, and the role each one carries.
MESSAGE_CONSTRUCTORS: dict[str, str] = {
    "SystemMessage": "system", "HumanMessage": "user", "AIMessage": "assistant", "ToolMessage": "tool",
    "FunctionMessage": "tool", "ChatMessage": "unknown",
    "SystemMessagePromptTemplate": "system", "HumanMessagePromptTemplate": "user", "AIMessagePromptTemplate": "assistant",
    "ChatMessagePromptTemplate": "unknown", "MessagesPlaceholder": "unknown",
    "Content": "unknown", "UserContent": "user", "ModelContent": "assistant",
}

ROLE_NAMES: dict[str, str] = {
    "system": "system", "developer": "developer", "user": "user", "human": "user", "assistant": "assistant",
    "ai": "assistant", "model": "assistant", "chatbot": "assistant", "tool": "tool", "function": "tool",
}

# Constructors that make a client of an SDK: a call on their result is an LLM call.
CLIENT_CONSTRUCTORS: dict[str, str] = {
    "OpenAI": "openai", "AsyncOpenAI": "openai", "AzureOpenAI": "openai", "AsyncAzureOpenAI": "openai",
    "Anthropic": "anthropic", "AsyncAnthropic": "anthropic", "AnthropicBedrock": "anthropic", "AnthropicVertex": "anthropic",
    "Mistral": "mistralai", "MistralClient": "mistralai", "ClientV2": "cohere", "CohereClient": "cohere", "CohereClientV2": "cohere",
    "GoogleGenAI": "google", "GoogleGenerativeAI": "google",
}

SEARCH_MODEL_MARKERS = ("search-preview", "search-api", "sonar", "-online", "perplexity")
SEARCH_TOOL_MARKERS = ("web_search", "google_search", "file_search", "googleSearch", "webSearch", "fileSearch", "retrieval", "tavily", "serpapi", "bing")
