using System.CommandLine;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gatewayctl;

/// <summary>
/// <c>gatewayctl</c>: Socket Gateway from a shell or a script. REST for state and commands, the SignalR hub
/// for live traffic. <c>--url</c> and <c>--key</c> (or <c>GATEWAY_URL</c>, <c>GATEWAY_KEY</c>) on every
/// command; <c>--json</c> for output a script reads; refusals are one line on stderr and an exit code
/// (<see cref="ExitCodes"/>).
/// </summary>
internal static class Cli
{
    private static readonly Option<string> Url = new("--url")
    {
        Description = "The gateway's HTTP address (default: GATEWAY_URL, else http://127.0.0.1:5080)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GATEWAY_URL") is { Length: > 0 } url ? url : "http://127.0.0.1:5080",
    };

    private static readonly Option<string?> Key = new("--key")
    {
        Description = "API key (default: GATEWAY_KEY)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GATEWAY_KEY"),
    };

    private static readonly Option<bool> AsJson = new("--json") { Description = "Print JSON (one object per line for tail)", Recursive = true };

    public static Task<int> Main(string[] args) => Build().Parse(args).InvokeAsync();

    internal static RootCommand Build()
    {
        var root = new RootCommand("Socket Gateway from the command line: tail live traffic, list and drive sessions and listeners, export and replay.");
        root.Options.Add(Url);
        root.Options.Add(Key);
        root.Options.Add(AsJson);
        root.Subcommands.Add(Tail());
        root.Subcommands.Add(Sessions());
        root.Subcommands.Add(Listeners());
        root.Subcommands.Add(Nodes());
        root.Subcommands.Add(Send());
        root.Subcommands.Add(Close());
        root.Subcommands.Add(Listen());
        root.Subcommands.Add(Export());
        root.Subcommands.Add(Replay());
        return root;
    }

    private static Command Tail()
    {
        var listener = new Option<string?>("--listener") { Description = "Only this listener's sessions" };
        var session = new Option<long?>("--session") { Description = "Only this session" };
        var hex = new Option<bool>("--hex") { Description = "Payloads in hex (default: text when printable)" };
        var command = new Command("tail", "Live messages, one line each (direction, size, summary or preview) until Ctrl+C.") { listener, session, hex };
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            var scope = result.GetValue(session) is { } id ? $"session:{id}" : result.GetValue(listener) is { } l ? $"listener:{l}" : "*";
            var json = result.GetValue(AsJson);
            var inHex = result.GetValue(hex);
            var key = api.Key;
            await using var hub = new HubConnectionBuilder()
                .WithUrl(new Uri(api.BaseAddress, "hubs/traffic"), o =>
                {
                    if (!string.IsNullOrEmpty(key))
                    {
                        o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                    }
                })
                .Build();
            var output = new object();
            hub.On<JsonElement>("traffic", batch =>
            {
                lock (output)
                {
                    foreach (var message in batch.EnumerateArray())
                    {
                        Console.Out.WriteLine(json ? message.GetRawText() : Format.Message(message, inHex));
                    }

                    Console.Out.Flush();
                }
            });
            hub.On<JsonElement>("decoded", decoded =>
            {
                lock (output)
                {
                    Console.Out.WriteLine(json ? decoded.GetRawText() : Format.Summary(decoded));
                    Console.Out.Flush();
                }
            });
            var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            hub.Closed += error =>
            {
                closed.TrySetResult(error);
                return Task.CompletedTask;
            };
            try
            {
                await hub.StartAsync(cancellationToken);
                await hub.InvokeAsync("Watch", scope, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                throw new CliException($"cannot reach the gateway's hub at {api.BaseAddress}: {ex.Message}", ex.StatusCode is { } s && (int)s < 500 ? ExitCodes.Refused : ExitCodes.Unavailable);
            }
            catch (Microsoft.AspNetCore.SignalR.HubException ex)
            {
                throw new CliException(ex.Message, ExitCodes.Refused);
            }

            Console.Error.WriteLine($"watching {scope} on {api.BaseAddress} (Ctrl+C to stop)");
            var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
            if (await Task.WhenAny(stopped, closed.Task) == closed.Task)
            {
                throw new CliException($"the gateway closed the connection{(closed.Task.Result is { } error ? ": " + error.Message : "")}", ExitCodes.Unavailable);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Sessions()
    {
        var state = new Option<string?>("--state") { Description = "open (default), closed or all" };
        var listener = new Option<string?>("--listener") { Description = "Only this listener's sessions" };
        var limit = new Option<int?>("--limit") { Description = "At most this many" };
        var command = new Command("sessions", "Lists sessions.") { state, listener, limit };
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            var query = new List<string>();
            if (result.GetValue(state) is { } s)
            {
                query.Add("state=" + Uri.EscapeDataString(s));
            }

            if (result.GetValue(listener) is { } l)
            {
                query.Add("listenerId=" + Uri.EscapeDataString(l));
            }

            if (result.GetValue(limit) is { } n)
            {
                query.Add($"limit={n}");
            }

            var sessions = await api.GetAsync("api/sessions" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), cancellationToken);
            (string, Func<JsonElement, string>)[] columns =
            [
                ("ID", s => Text(s, "id")), ("LISTENER", s => Text(s, "listenerId")), ("KIND", s => Text(s, "kind")),
                ("PROTO", s => Text(s, "protocol")), ("REMOTE", s => Text(s, "remote")), ("STATE", s => Text(s, "state")),
                ("IN", s => Text(s, "bytesIn")), ("OUT", s => Text(s, "bytesOut")),
            ];
            var inCluster = sessions.EnumerateArray().Any(s => Text(s, "node").Length > 0);
            Print(result, sessions, () => Format.Table(sessions, inCluster ? [.. columns, ("NODE", s => Text(s, "node"))] : columns));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Listeners()
    {
        var command = new Command("listeners", "Lists listeners.");
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            var listeners = await api.GetAsync("api/listeners", cancellationToken);
            (string, Func<JsonElement, string>)[] columns =
            [
                ("ID", l => Text(l, "id")), ("PROTO", l => Text(l, "protocol")),
                ("ADDRESS", l => Text(l, "path") is { Length: > 0 } path ? path : $"{Text(l, "address")}:{Text(l, "port")}"),
                ("STATE", l => Text(l, "state")), ("OPEN", l => Text(l, "sessions")), ("UPSTREAM", l => Text(l, "upstream")), ("DECODER", l => Text(l, "decoder")),
            ];

            // In a cluster: each node's socket of it (node:state).
            static string Bindings(JsonElement l) => l.TryGetProperty("nodes", out var nodes) && nodes.ValueKind == JsonValueKind.Array
                ? string.Join(' ', nodes.EnumerateArray().Select(n => $"{Text(n, "node")}:{Text(n, "state")}"))
                : "";
            var inCluster = listeners.EnumerateArray().Any(l => Bindings(l).Length > 0);
            Print(result, listeners, () => Format.Table(listeners, inCluster ? [.. columns, ("NODES", Bindings)] : columns));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Nodes()
    {
        var command = new Command("nodes", "Lists the cluster's nodes (a gateway on its own is one node, local).");
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            var nodes = await api.GetAsync("api/nodes", cancellationToken);
            Print(result, nodes, () => Format.Table(nodes,
                ("ID", n => Text(n, "id")), ("ADDRESS", n => Text(n, "address")), ("STATE", n => Text(n, "state")),
                ("OPEN", n => Text(n, "sessionsOpen")), ("STARTED", n => Text(n, "startedAt")), ("LAST SEEN", n => Text(n, "lastSeen"))));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Send()
    {
        var session = new Argument<long>("session") { Description = "Session id" };
        var data = new Argument<string>("data") { Description = "What to send (UTF-8 text unless --hex or --base64)" };
        var hex = new Option<bool>("--hex") { Description = "DATA is hex (spaces, : or - between bytes allowed)" };
        var base64 = new Option<bool>("--base64") { Description = "DATA is base64" };
        var target = new Option<string?>("--target") { Description = "client (default) or upstream (relays)" };
        var command = new Command("send", "Sends bytes into a session.") { session, data, hex, base64, target };
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            if (result.GetValue(hex) && result.GetValue(base64))
            {
                throw new CliException("choose one of --hex and --base64", ExitCodes.Usage);
            }

            var encoding = result.GetValue(hex) ? "hex" : result.GetValue(base64) ? "base64" : "utf8";
            var id = result.GetValue(session);
            var sent = await api.PostAsync($"api/sessions/{id}/send", new { data = result.GetValue(data), encoding, target = result.GetValue(target) }, cancellationToken);
            Print(result, sent, () => $"sent {Text(sent, "bytes")} bytes to session {id}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Close()
    {
        var session = new Argument<long>("session") { Description = "Session id" };
        var abort = new Option<bool>("--abort") { Description = "Reset (TCP RST) instead of a graceful close" };
        var command = new Command("close", "Closes a session.") { session, abort };
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            var id = result.GetValue(session);
            await api.DeleteAsync($"api/sessions/{id}" + (result.GetValue(abort) ? "?abort=true" : ""), cancellationToken);
            Print(result, JsonSerializer.SerializeToElement(new { closed = id }), () => $"closed session {id}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Listen()
    {
        var name = new Option<string>("--name") { Description = "Listener name (its id)", Required = true };
        var port = new Option<int>("--port") { Description = "Port (0: any free one)", Required = true };
        var protocol = new Option<string>("--protocol") { Description = "tcp (default), udp or unix", DefaultValueFactory = _ => "tcp" };
        var address = new Option<string?>("--address") { Description = "Address to bind (default 127.0.0.1)" };
        var upstream = new Option<string?>("--upstream") { Description = "Make it a relay to host:port" };
        var decoder = new Option<string?>("--decoder") { Description = "How its messages are read (GET /api/decoders)" };
        var command = new Command("listen", "Opens a listener (a relay with --upstream).") { name, port, protocol, address, upstream, decoder };
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            var listener = await api.PostAsync("api/listeners", new
            {
                name = result.GetValue(name), protocol = result.GetValue(protocol), address = result.GetValue(address), port = result.GetValue(port),
                upstream = result.GetValue(upstream), decoder = result.GetValue(decoder),
            }, cancellationToken);
            Print(result, listener, () => $"listening: {Text(listener, "id")} {Text(listener, "protocol")} {Text(listener, "address")}:{Text(listener, "port")}"
                + (Text(listener, "upstream") is { Length: > 0 } up ? $" → {up}" : ""));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Export()
    {
        var session = new Argument<long>("session") { Description = "Session id" };
        var output = new Option<string>("-o", "--output") { Description = "File to write (.pcapng, or .json for capture.json)", Required = true };
        var command = new Command("export", "Writes a session's capture to a file: pcapng for Wireshark, or capture.json.") { session, output };
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            var id = result.GetValue(session);
            var file = result.GetValue(output)!;
            var kind = file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "capture.json" : "capture.pcapng";
            var bytes = await api.DownloadAsync($"api/sessions/{id}/{kind}", file, cancellationToken);
            Print(result, JsonSerializer.SerializeToElement(new { file = Path.GetFullPath(file), bytes }), () => $"wrote {bytes} bytes to {file}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Replay()
    {
        var session = new Argument<long>("session") { Description = "Session id" };
        var to = new Option<string>("--to") { Description = "host:port to send the recording to", Required = true };
        var direction = new Option<string?>("--direction") { Description = "in (default: what the peer sent) or out" };
        var timing = new Option<string?>("--timing") { Description = "asap (default) or original" };
        var speed = new Option<double?>("--speed") { Description = "With original timing: 2 = twice as fast" };
        var command = new Command("replay", "Replays a recorded session's messages to a new connection.") { session, to, direction, timing, speed };
        command.SetAction((result, cancellationToken) => Run(result, async api =>
        {
            var target = result.GetValue(to)!;
            var colon = target.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), out var port))
            {
                throw new CliException($"--to '{target}' is not host:port", ExitCodes.Usage);
            }

            var id = result.GetValue(session);
            var replay = await api.PostAsync($"api/sessions/{id}/replay", new
            {
                host = target[..colon].Trim('[', ']'), port, direction = result.GetValue(direction), timing = result.GetValue(timing), speed = result.GetValue(speed),
            }, cancellationToken);
            Print(result, replay, () => $"replaying session {id} to {target}" + (Text(replay, "sessionId") is { Length: > 0 } s ? $" as session {s}" : ""));
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Runs a command against the API; a refusal is one line on stderr and its exit code.</summary>
    private static async Task<int> Run(ParseResult result, Func<GatewayApi, Task<int>> action)
    {
        var url = result.GetValue(Url)!;
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            await Console.Error.WriteLineAsync($"gatewayctl: --url '{url}' is not an http(s) address");
            return ExitCodes.Usage;
        }

        using var api = new GatewayApi(baseAddress, result.GetValue(Key));
        try
        {
            return await action(api);
        }
        catch (CliException ex)
        {
            await Console.Error.WriteLineAsync($"gatewayctl: {ex.Message}");
            return ex.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok; // Ctrl+C
        }
    }

    private static void Print(ParseResult result, JsonElement json, Func<string> text) =>
        Console.Out.WriteLine(result.GetValue(AsJson) ? JsonSerializer.Serialize(json, GatewayApi.Json) : text());

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch { JsonValueKind.String => value.GetString()!, JsonValueKind.Null => "", _ => value.GetRawText() }
            : "";
}
