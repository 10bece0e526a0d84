using System.Diagnostics;
using System.Threading.Channels;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The real <c>gatewayctl</c> (src/Gatewayctl, built beside the tests in the same configuration) run as a
/// process: its output line by line as it comes, Ctrl+C (SIGINT) and its exit code.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _out = Channel.CreateUnbounded<string>();
    private readonly Channel<string> _err = Channel.CreateUnbounded<string>();

    private CliProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { _out.Writer.TryWrite(line); } else { _out.Writer.TryComplete(); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { _err.Writer.TryWrite(line); } else { _err.Writer.TryComplete(); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string Dll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            var dll = Path.Combine(TestPaths.RepositoryRoot, "src", "Gatewayctl", "bin", configuration, "net10.0", "Gatewayctl.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"gatewayctl is not built at {dll}: build the solution (dotnet test does).");
        }
    }

    public static CliProcess Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("GATEWAY_URL");
        info.Environment.Remove("GATEWAY_KEY");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new CliProcess(Process.Start(info)!);
    }

    /// <summary>Runs a command to its end: exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var cli = Start(environment, args);
        var code = await cli.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (code, string.Join('\n', await cli._out.Reader.ReadAllAsync().ToListAsync()), string.Join('\n', await cli._err.Reader.ReadAllAsync().ToListAsync()));
    }

    public Task<string> StdoutLineAsync(Func<string, bool> match, string what) => LineAsync(_out.Reader, match, what);

    public Task<string> StderrLineAsync(Func<string, bool> match, string what) => LineAsync(_err.Reader, match, what);

    /// <summary>Ctrl+C, as a terminal sends it.</summary>
    public void Interrupt() => Process.Start("kill", ["-INT", _process.Id.ToString()])!.WaitForExit(5000);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().Within(timeout);
        _process.WaitForExit(); // the output streams are drained too
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static async Task<string> LineAsync(ChannelReader<string> lines, Func<string, bool> match, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await foreach (var line in lines.ReadAllAsync(timeout.Token))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        throw new TimeoutException($"gatewayctl never printed {what}");
    }
}
