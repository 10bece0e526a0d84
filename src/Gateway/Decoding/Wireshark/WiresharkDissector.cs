using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Capture.Export;
using Gateway.Configuration;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace Gateway.Decoding.Wireshark;

/// <summary>
/// Wireshark's dissectors for a session's messages: writes them as the session's pcapng export would (into a
/// private temporary folder; no path ever comes from a request), runs <c>tshark -T json -x</c> and
/// <c>tshark -T fields -e _ws.col.Info</c> on that file, each with a time and an output bound, and maps the
/// packets back to the messages they carry: each message's fields, tree and summary (the Info column).
/// </summary>
internal sealed partial class WiresharkDissector(IOptions<GatewayOptions> options, ILogger<WiresharkDissector> logger)
{
    /// <summary>A session's first messages, handed to tshark before the ones to dissect, so that Wireshark sees how the session began.</summary>
    public const int OpeningMessages = 8;

    private readonly Lazy<string?> _tshark = new(() => Locate(options.Value.Decoding.Tshark));

    /// <summary>The tshark this gateway runs, or null when none is installed.</summary>
    public string? Tshark => _tshark.Value;

    /// <summary>Throws the 501 problem that says tshark is missing, and how to get it.</summary>
    public string RequireTshark() => Tshark ?? throw new CommandException(StatusCodes.Status501NotImplemented, "tshark is not installed",
        "decoder 'wireshark' runs tshark, which this machine does not have: install Wireshark's command line (Debian: apt-get install tshark) "
        + "or set Gateway:Decoding:Tshark to its path.");

    /// <summary>A Decode As rule tshark's <c>-d</c> accepts: <c>layer==selector,protocol</c> (<c>tcp.port==1883,mqtt</c>, <c>udp.port==5000-5010,dns</c>).</summary>
    public static bool TryValidateDecodeAs(string? text, out string? error)
    {
        error = null;
        if (text is null)
        {
            return true;
        }

        if (text.Length <= 200 && DecodeAsPattern().IsMatch(text))
        {
            return true;
        }

        error = $"decodeAs '{text}' is not a Decode As rule: write layer==selector,protocol, e.g. tcp.port==1883,mqtt.";
        return false;
    }

    /// <summary>
    /// Dissects <paramref name="messages"/> (one session's, in seq order; earlier ones give Wireshark the
    /// session's start) and returns each message's reading by seq.
    /// </summary>
    public async Task<Dictionary<long, DecodedMessage>> DissectAsync(SessionInfo session, IReadOnlyList<MessageInfo> messages, string? decodeAs, CancellationToken cancellationToken)
    {
        var tshark = RequireTshark();
        if (!TryValidateDecodeAs(decodeAs, out var error))
        {
            throw CommandException.BadInput(error!);
        }

        var folder = Directory.CreateTempSubdirectory("gateway-tshark-");
        try
        {
            var file = Path.Combine(folder.FullName, "session.pcapng");
            var frames = await WriteAsync(file, session, messages, cancellationToken).ConfigureAwait(false);
            string[] common = ["-r", file, "-n", .. decodeAs is null ? Array.Empty<string>() : ["-d", decodeAs]];
            var tree = await RunAsync(tshark, [.. common, "-x", "-T", "json"], cancellationToken).ConfigureAwait(false);
            var columns = await RunAsync(tshark, [.. common, "-T", "fields", "-E", "separator=/t", "-e", "frame.number", "-e", "_ws.col.Info"], cancellationToken).ConfigureAwait(false);
            return Map(messages, frames, tree, Infos(columns));
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException ex)
            {
                logger.LogWarning(ex, "Could not remove tshark's temporary folder {Folder}", folder.FullName);
            }
        }
    }

    /// <summary>The pcapng file; returns, for each frame number, the index of the message it carries (-1: handshake or close).</summary>
    private static async Task<List<int>> WriteAsync(string file, SessionInfo session, IReadOnlyList<MessageInfo> messages, CancellationToken cancellationToken)
    {
        var owners = new List<int> { -1 }; // frame numbers start at 1
        await using var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
        var writer = new PcapngWriter(output);
        await writer.WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
        var conversation = Conversation.For(session);
        await conversation.OpenAsync(writer, cancellationToken).ConfigureAwait(false);
        Fill(owners, writer.Packets, -1);
        for (var i = 0; i < messages.Count; i++)
        {
            await conversation.MessageAsync(writer, messages[i], cancellationToken).ConfigureAwait(false);
            Fill(owners, writer.Packets, i);
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return owners;

        static void Fill(List<int> owners, int upTo, int owner)
        {
            while (owners.Count <= upTo)
            {
                owners.Add(owner);
            }
        }
    }

    private static Dictionary<long, DecodedMessage> Map(IReadOnlyList<MessageInfo> messages, List<int> owners, byte[] json, Dictionary<int, string> infos)
    {
        var fields = messages.Select(_ => new List<DecodedField>()).ToArray();
        var summaries = messages.Select(_ => new List<string>()).ToArray();
        var carried = new int[messages.Count]; // payload bytes of each message in the frames read so far
        using var document = JsonDocument.Parse(json);
        foreach (var packet in document.RootElement.EnumerateArray())
        {
            if (!packet.TryGetProperty("_source", out var source) || !source.TryGetProperty("layers", out var layers)
                || !layers.TryGetProperty("frame", out var frame) || !int.TryParse(Text(frame, "frame.number"), out var number)
                || number >= owners.Count || owners[number] is not (>= 0 and var owner))
            {
                continue;
            }

            var message = messages[owner];
            var payload = layers.TryGetProperty("tcp", out var tcp) && int.TryParse(Text(tcp, "tcp.len"), out var tcpLength) ? tcpLength
                : layers.TryGetProperty("udp", out var udp) && int.TryParse(Text(udp, "udp.length"), out var udpLength) ? udpLength - 8
                : 0;
            int.TryParse(Text(frame, "frame.cap_len"), out var captured);
            var payloadStart = captured - payload;
            var frameBase = carried[owner];
            carried[owner] += payload;
            var reassembled = layers.TryGetProperty("tcp.segments", out _); // positions are then into the reassembled bytes
            var size = message.Data.Length;
            var layerFields = TsharkTree.Layers(layers, (position, length) =>
            {
                var offset = Math.Clamp(reassembled ? position : frameBase + position - payloadStart, 0, size);
                return (offset, Math.Clamp(length, 0, size - offset));
            });
            if (layerFields.Count == 0)
            {
                continue;
            }

            fields[owner].AddRange(layerFields);
            if (layerFields.Any(f => f.Name != "data") && infos.TryGetValue(number, out var info) && !summaries[owner].Contains(info))
            {
                summaries[owner].Add(info);
            }
        }

        var result = new Dictionary<long, DecodedMessage>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var summary = summaries[i].Count > 0 ? string.Join("; ", summaries[i])
                : $"{messages[i].Size} B, no Wireshark dissector took it (set decodeAs, e.g. tcp.port==1883,mqtt)";
            result[messages[i].Seq] = new DecodedMessage(Decoders.Wireshark, summary, fields[i]);
        }

        return result;
    }

    /// <summary>The Info column by frame number, from <c>-T fields -e frame.number -e _ws.col.Info</c>.</summary>
    private static Dictionary<int, string> Infos(byte[] output)
    {
        var infos = new Dictionary<int, string>();
        foreach (var line in Encoding.UTF8.GetString(output).Split('\n'))
        {
            var tab = line.IndexOf('\t');
            if (tab > 0 && int.TryParse(line.AsSpan(0, tab), out var number))
            {
                infos[number] = line[(tab + 1)..].TrimEnd('\r');
            }
        }

        return infos;
    }

    /// <summary>Runs tshark with its bounds: killed past the timeout or the output limit; its complaint (stderr) becomes the problem's detail.</summary>
    private async Task<byte[]> RunAsync(string tshark, string[] arguments, CancellationToken cancellationToken)
    {
        var limits = options.Value.Decoding;
        var start = new ProcessStartInfo(tshark)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("tshark did not start");
        process.StandardInput.Close();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(limits.TsharkTimeoutSeconds));
        var complaint = process.StandardError.ReadToEndAsync(bound.Token);
        using var output = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await process.StandardOutput.BaseStream.ReadAsync(buffer, bound.Token).ConfigureAwait(false)) > 0)
            {
                output.Write(buffer, 0, read);
                if (output.Length > limits.TsharkMaxOutputBytes)
                {
                    Kill(process);
                    throw CommandException.TooLarge($"tshark's dissection passed Gateway:Decoding:TsharkMaxOutputBytes ({limits.TsharkMaxOutputBytes} bytes): "
                        + "ask for a message nearer the session's start, or raise the limit.");
                }
            }

            await process.WaitForExitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            throw new CommandException(StatusCodes.Status504GatewayTimeout, "tshark took too long",
                $"tshark did not finish within Gateway:Decoding:TsharkTimeoutSeconds ({limits.TsharkTimeoutSeconds} s).");
        }
        catch
        {
            Kill(process);
            throw;
        }

        if (process.ExitCode != 0)
        {
            var said = string.Join(" ", (await complaint.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => !l.StartsWith("Running as user", StringComparison.Ordinal)));
            throw CommandException.BadInput($"tshark refused the dissection (exit {process.ExitCode}): {said}");
        }

        return output.ToArray();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It had exited.
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The configured path, else <c>tshark</c> on PATH; null when neither is there.</summary>
    private static string? Locate(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "tshark"))
            .FirstOrDefault(File.Exists);
    }

    [GeneratedRegex(@"^[a-z][a-z0-9_.-]*==[A-Za-z0-9_.:/-]+,[a-z][a-z0-9_.-]*$")]
    private static partial Regex DecodeAsPattern();
}
