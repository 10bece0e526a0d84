using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The built gateway as its own process (`dotnet Gateway.dll`), for what only a process shows: exit
/// codes, start-up log lines, and SIGTERM.
/// </summary>
internal sealed partial class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TempFolder? _ownFolder;

    private GatewayProcess(Process process, TempFolder? ownFolder)
    {
        _process = process;
        _ownFolder = ownFolder;
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToArray();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Arguments that move the HTTP endpoint and both default listeners to free ports.</summary>
    public static readonly string[] FreePorts =
        ["--urls", "http://127.0.0.1:0", "--Gateway:Listeners:0:Port=0", "--Gateway:Listeners:1:Port=0"];

    /// <summary>Starts the gateway; unless <paramref name="args"/> name a capture database, it gets a fresh one in <paramref name="folder"/> or a temp folder.</summary>
    public static GatewayProcess Start(params string[] args) => Start(null, args);

    public static GatewayProcess Start(TempFolder? folder, params string[] args) => Start(folder, null, args);

    /// <summary>Starts the gateway with an open-file limit of its own (bash's ulimit, then exec: the process keeps its pid).</summary>
    public static GatewayProcess StartWithFileLimit(int soft, int hard, params string[] args) => Start(null, (soft, hard), args);

    /// <summary>The gateway's process id.</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    private static GatewayProcess Start(TempFolder? folder, (int Soft, int Hard)? files, string[] args)
    {
        var own = folder is null && !args.Any(a => a.Contains("ConnectionStrings:Capture", StringComparison.Ordinal)) ? new TempFolder() : null;
        if ((folder ?? own) is { } dataFolder)
        {
            args = [.. args, $"--ConnectionStrings:Capture={GatewayApp.CaptureDatabase(dataFolder)}"];
        }

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(files is null ? dotnet : "/bin/bash")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (files is { } limit)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"ulimit -Sn {limit.Soft} && ulimit -Hn {limit.Hard} && exec \"$0\" \"$@\"");
            info.ArgumentList.Add(dotnet);
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gateway.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var gateway = new GatewayProcess(process, own);
        process.OutputDataReceived += (_, e) => gateway.Add(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Add(e.Data);
        process.Exited += (_, _) => gateway._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gateway;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _exited.Task.WaitAsync(timeout);
        await _process.WaitForExitAsync().WaitAsync(timeout); // drains redirected output
        return _process.ExitCode;
    }

    /// <summary>Waits for a log line matching <paramref name="pattern"/>; returns the match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + (timeout ?? Timeouts.Default);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var line in Lines)
            {
                var match = regex.Match(line);
                if (match.Success)
                {
                    return match;
                }
            }

            if (_exited.Task.IsCompleted)
            {
                break;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No line matched '{pattern}'. Output:\n{string.Join('\n', Lines)}");
    }

    /// <summary>Sends SIGTERM, as `docker stop` or systemd would.</summary>
    public void Terminate()
    {
        const int SigTerm = 15;
        if (Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill failed: {Marshal.GetLastPInvokeError()}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _ownFolder?.Dispose();
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash or an OOM kill.</summary>
    public void KillHard()
    {
        const int SigKill = 9;
        Kill(_process.Id, SigKill);
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
