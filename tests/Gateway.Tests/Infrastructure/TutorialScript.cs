using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>One of the repaired tutorial programs in tests/tutorial, run by python3 with piped stdin/stdout.</summary>
internal sealed class TutorialScript : IDisposable
{
    private readonly Process _process;

    private TutorialScript(Process process)
    {
        _process = process;
        Output = process.StandardOutput.ReadToEndAsync();
    }

    /// <summary>Everything the program printed, once it has exited.</summary>
    public Task<string> Output { get; }

    public int ExitCode => _process.ExitCode;

    public static TutorialScript Start(string script, params string[] args)
    {
        var info = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, "tests", "tutorial", script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new TutorialScript(Process.Start(info)!);
    }

    /// <summary>Types a line at the program's <c>input()</c> prompt.</summary>
    public async Task TypeAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public Task WaitForExitAsync() => _process.WaitForExitAsync().Within();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
