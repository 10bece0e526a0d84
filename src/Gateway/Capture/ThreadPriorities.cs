using System.Runtime.InteropServices;

namespace Gateway.Capture;

/// <summary>
/// Lowers the calling thread's scheduling priority. .NET's <c>Thread.Priority</c> does nothing on Linux,
/// where a thread's nice value is set with setpriority(2) on its thread id; lowering it needs no privilege.
/// </summary>
internal static class ThreadPriorities
{
    private const int PrioProcess = 0;
    private const int Nice = 10;

    public static void LowerCurrent()
    {
        if (!OperatingSystem.IsLinux())
        {
            Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
            return;
        }

        try
        {
            _ = SetPriority(PrioProcess, GetTid(), Nice); // best effort: a failure leaves the normal priority
        }
        catch (EntryPointNotFoundException)
        {
            // An old libc: keep the normal priority.
        }
    }

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();
}
