//! Demo data: a small, believable helpdesk loaded into an empty store (`casebook serve --demo`).
//!
//! [`App::demo_load`] adds the vendor's staff organization and four customers, six users with
//! random passwords, one real-looking mail thread and about forty cases spread over every status
//! and priority, with owners, tags and internal notes. Everything goes through the same commands
//! people use (`org_add`, `user_add`, `import`, `case_new`, `case_status`, …), so the demo obeys
//! the access policy, the state machine and the ingest path like any other data. The content is
//! the same at every run; only the passwords, the case numbers Casebook gives out and the times
//! of the changes differ.
//!
//! The thread is the seed case's export when the caller names one (it is read at run time, never
//! compiled in), else a thread of Casebook's own, written here as an mbox and imported from a
//! temporary file.
//!
//! It loads nothing into a store that already holds cases or users, so it never mixes demo data
//! into a real helpdesk. It is not atomic: a failure part-way leaves what was loaded, and a second
//! run then loads nothing; start again from an empty store.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use case::access::Viewer;
use case::party::Role;
use case::subject::SubjectFields;
use case::{CaseNumber, Priority, Status};
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox as LettreMailbox, SinglePart};
use rand::seq::IndexedRandom;
use rand::Rng;

use crate::auth::NewUser;
use crate::i18n::{FluentValue, Lang};
use crate::views::NewCaseInput;
use crate::{Actor, App, AppError};

/// One user the demo made, with the password to sign in with (shown once, never stored in the clear).
#[derive(Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// The login (an address).
    pub login: String,
    /// The user's role.
    pub role: Role,
    /// The user's organization.
    pub org: String,
    /// The password, random, of [`DEMO_PASSWORD_CHARS`] characters.
    pub password: String,
}

impl std::fmt::Debug for DemoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoLogin")
            .field("login", &self.login)
            .field("role", &self.role)
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

/// What [`App::demo_load`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// Whether demo data was loaded (`false`: the store already held cases or users).
    pub loaded: bool,
    /// Cases the store holds afterwards.
    pub cases: u64,
    /// The users made, with their passwords (empty when nothing was loaded).
    pub logins: Vec<DemoLogin>,
}

impl DemoReport {
    /// The report as lines for people: what happened, then one line per login with its password.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        if !self.loaded {
            return vec![lang.say("demo-not_loaded")];
        }
        let cases = i64::try_from(self.cases).unwrap_or(i64::MAX);
        let mut lines = vec![lang.text("demo-loaded", &[("cases", FluentValue::from(cases))])];
        for login in &self.logins {
            let role = lang.say(&format!("role-{}", login.role.as_str()));
            lines.push(lang.text(
                "demo-login",
                &[
                    ("login", FluentValue::from(login.login.as_str())),
                    ("role", FluentValue::from(role)),
                    ("org", FluentValue::from(login.org.as_str())),
                    ("password", FluentValue::from(login.password.as_str())),
                ],
            ));
        }
        lines
    }
}

/// Characters in each demo password.
pub const DEMO_PASSWORD_CHARS: usize = 20;

// A demo password is at least as strong as a 16-character random one.
const _: () = assert!(DEMO_PASSWORD_CHARS >= 16);

/// The number of the built-in thread's case (adopted from its subject, as a case from an earlier
/// system would be).
pub const DEMO_THREAD_CASE: &str = "CAS-04127-W8K3TQ";

/// Who the admin log names as having added the demo users.
const DEMO_ACTOR: &str = "demo";

/// The demo's SLA policy: the example in the documentation.
const DEMO_POLICY: &str = include_str!("../../../docs/sla-policy.example.toml");

/// Password characters: letters and digits without look-alikes, and a few signs.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789-_.!";

/// The vendor's staff organization.
const STAFF_ORG: (&str, &str) = ("CMGOS", "cmgos.com");

/// The customers, with their mail domains.
const CUSTOMERS: [(&str, &str); 4] = [
    ("Acer", "acer.com"),
    ("Inspur", "inspur.com"),
    ("Quanta", "quantatw.com"),
    ("Wistron", "wistron.com"),
];

/// The users: login, role, organization, display name.
const USERS: [(&str, Role, &str, &str); 6] = [
    (
        "admin@cmgos.com",
        Role::Admin,
        "CMGOS",
        "Casebook Admin（系统管理员）",
    ),
    (
        "manager@cmgos.com",
        Role::Manager,
        "CMGOS",
        "Zhou Min（周敏）",
    ),
    (
        "engineer@cmgos.com",
        Role::Engineer,
        "CMGOS",
        "Chen Hao（陈浩）",
    ),
    (
        "liaison@cmgos.com",
        Role::Liaison,
        "CMGOS",
        "Lin Yue（林悦）",
    ),
    (
        "partner@acer.com",
        Role::PartnerContact,
        "Acer",
        "Huang Wen（黄文）",
    ),
    (
        "partner@inspur.com",
        Role::PartnerContact,
        "Inspur",
        "Sun Lei（孙磊）",
    ),
];

const ADMIN: &str = "admin@cmgos.com";
const MANAGER: &str = "manager@cmgos.com";
const ENGINEER: &str = "engineer@cmgos.com";
const LIAISON: &str = "liaison@cmgos.com";

/// Generated cases: every topic twice, so 40.
const CASE_COUNT: usize = 2 * TOPICS.len();

/// Priorities in the order cases take them: mostly P2 and P3, a few P1 and P4.
const PRIORITY_CYCLE: [Priority; 10] = [
    Priority::P3,
    Priority::P2,
    Priority::P3,
    Priority::P4,
    Priority::P1,
    Priority::P3,
    Priority::P2,
    Priority::P4,
    Priority::P3,
    Priority::P2,
];

/// A support problem the generated cases are about.
struct Topic {
    /// The title, Chinese and English.
    title: &'static str,
    /// The product.
    product: &'static str,
    /// The version.
    version: &'static str,
    /// Tags.
    tags: &'static [&'static str],
    /// What the partner reported (问题描述).
    problem: &'static str,
    /// Where it stands when archived (案例总结).
    summary: &'static str,
    /// Why it happened (根本原因).
    root_cause: &'static str,
    /// What fixed it (解决方案).
    resolution: &'static str,
    /// An internal note.
    note: &'static str,
}

const TOPICS: [Topic; 20] = [
    Topic {
        title: "系统重置后 OOBE 卡在“请稍候” / OOBE hangs at “Just a moment” after Reset this PC",
        product: "Windows 11 Pro",
        version: "23H2 (22631.4317)",
        tags: &["reset", "oobe"],
        problem: "选择“保留我的文件”重置后，OOBE 停在“请稍候”超过 30 分钟。After Reset this PC with “Keep my files”, OOBE stays at “Just a moment” for more than 30 minutes.",
        summary: "已确认与产线注入的 OOBE 脚本有关，等待 OEM 提供修改后的脚本。Tied to the OOBE script the factory injects; waiting for the OEM's revised script.",
        root_cause: "Unattend.xml 中的 FirstLogonCommands 等待一个已移除的服务。FirstLogonCommands in Unattend.xml waits for a service that was removed from the image.",
        resolution: "删除该命令并在两台样机上验证重置正常。Removed the command and verified the reset on two sample units.",
        note: "内部：同类问题见 2023 年 Swift 系列，先查 Unattend.xml。Internal: the Swift series had the same in 2023; check Unattend.xml first.",
    },
    Topic {
        title: "BIOS 更新后 BitLocker 要求输入恢复密钥 / BitLocker asks for the recovery key after a BIOS update",
        product: "Windows 11 Enterprise",
        version: "23H2",
        tags: &["bios", "bitlocker"],
        problem: "通过 Windows Update 安装 BIOS 胶囊后，开机进入 BitLocker 恢复界面。After the BIOS capsule from Windows Update, units boot into BitLocker recovery.",
        summary: "问题仅在未挂起 BitLocker 的手动刷新中出现，OEM 仍在核对刷新工具。Seen only when BitLocker was not suspended during a manual flash; the OEM is checking its flash tool.",
        root_cause: "刷新工具未先挂起 BitLocker，PCR7 测量值改变。The flash tool did not suspend BitLocker first, so the PCR7 measurement changed.",
        resolution: "刷新工具改为调用 Suspend-BitLocker -RebootCount 1 后再刷新。The flash tool now runs Suspend-BitLocker -RebootCount 1 before flashing.",
        note: "内部：请客户提供 msinfo32 中的 PCR7 配置状态。Internal: ask for the PCR7 configuration line from msinfo32.",
    },
    Topic {
        title: "开启安全启动时 WinPE 无法启动 / WinPE does not boot with Secure Boot on",
        product: "Windows PE",
        version: "10.0.26100",
        tags: &["bios", "winpe", "secure-boot"],
        problem: "产线 U 盘上的 WinPE 在安全启动开启时提示“安全违规”。The factory WinPE USB stick fails with “Secure Boot violation” when Secure Boot is on.",
        summary: "与 2023 年 DBX 更新相关，等待 OEM 更新产线启动介质。Related to the 2023 DBX update; waiting for the OEM to refresh the factory boot media.",
        root_cause: "启动介质中的 bootmgr 由已吊销的证书签名。The bootmgr on the media is signed with a revoked certificate.",
        resolution: "用 Windows UEFI CA 2023 签名的启动文件重建介质。Rebuilt the media with boot files signed by Windows UEFI CA 2023.",
        note: "内部：确认 BIOS 中 DBX 的版本号。Internal: confirm the DBX version in the BIOS.",
    },
    Topic {
        title: "DISM 应用 WIM 映像报错 0x80070570 / DISM /Apply-Image fails with 0x80070570",
        product: "Windows 11 IoT Enterprise LTSC",
        version: "2024 (26100.2033)",
        tags: &["imaging", "dism"],
        problem: "部署时 DISM /Apply-Image 在 62% 处报错 0x80070570（文件或目录损坏）。DISM /Apply-Image stops at 62% with 0x80070570 (file or directory corrupted).",
        summary: "只在一批 U 盘上复现，已请 OEM 更换介质后再测。Reproduces only with one batch of USB sticks; the OEM is retesting with other media.",
        root_cause: "映像拆分为 SWM 后有一个分卷在拷贝时损坏。One SWM part of the split image was corrupted while copying.",
        resolution: "重新拆分映像并用 /CheckIntegrity 校验后部署。Split the image again and deployed with /CheckIntegrity.",
        note: "内部：让客户附上 dism.log 的最后 200 行。Internal: ask for the last 200 lines of dism.log.",
    },
    Topic {
        title: "睡眠唤醒后触摸板驱动失效 / Touchpad driver stops working after resume from sleep",
        product: "Windows 11 Home",
        version: "24H2 (26100.2314)",
        tags: &["driver", "touchpad"],
        problem: "从 Modern Standby 唤醒后触摸板无响应，设备管理器显示代码 10。After resuming from Modern Standby the touchpad does not respond; Device Manager shows code 10.",
        summary: "需要触摸板厂商提供带调试符号的驱动，暂时归档。Needs a driver with debug symbols from the touchpad vendor; archived for now.",
        root_cause: "I2C HID 驱动在 D3 恢复时未重新初始化中断。The I2C HID driver does not re-arm its interrupt when leaving D3.",
        resolution: "更新到厂商 2.4.1 版驱动，并在 ACPI 中修正 _PS0 方法。Updated to the vendor's driver 2.4.1 and fixed the _PS0 method in ACPI.",
        note: "内部：已收到 SleepStudy 报告，唤醒失败发生在 S0ix 退出阶段。Internal: SleepStudy report received; the failure is on S0ix exit.",
    },
    Topic {
        title: "恢复驱动器创建失败 / The Recovery Drive creator fails while copying files",
        product: "Windows 11 Pro",
        version: "23H2",
        tags: &["recovery", "usb"],
        problem: "“创建恢复驱动器”在复制系统文件时报错“创建恢复驱动器时出现问题”。The Recovery Drive creator fails with “There's a problem creating the recovery drive” while copying system files.",
        summary: "仅在预装了第三方备份软件的机型上出现，等待 OEM 确认软件版本。Only on units with a third-party backup tool preinstalled; waiting for the OEM to confirm its version.",
        root_cause: "第三方备份软件的过滤驱动锁定了 WinRE 映像。The backup tool's filter driver locks the WinRE image.",
        resolution: "备份软件升级到新版后过滤驱动不再锁定该文件。The backup tool's new version no longer locks the file.",
        note: "内部：fltmc 输出里有 bkflt.sys。Internal: bkflt.sys shows up in the fltmc output.",
    },
    Topic {
        title: "预装系统首次开机执行 usmt.ppkg 超时 / usmt.ppkg times out on the first boot of the preload",
        product: "Windows 10 Enterprise LTSC",
        version: "2019 (17763.1757)",
        tags: &["imaging", "ppkg"],
        problem: "首次开机时 C:\\Recovery\\Customizations\\usmt.ppkg 执行超过 20 分钟后失败。On first boot C:\\Recovery\\Customizations\\usmt.ppkg runs for over 20 minutes and then fails.",
        summary: "与 NTUSER.DAT 被占用有关，OEM 正在核对产线脚本。Linked to NTUSER.DAT being in use; the OEM is reviewing its factory script.",
        root_cause: "产线脚本在 usmt.ppkg 执行期间加载了默认用户配置单元。The factory script loads the default user hive while usmt.ppkg runs.",
        resolution: "脚本改为在 ppkg 完成后再加载配置单元。The script now loads the hive after the package has finished.",
        note: "内部：与 CAS-03865-H7P3F1 的分析思路相同，先看 SHARING_VIOLATION。Internal: same approach as CAS-03865-H7P3F1; look for SHARING_VIOLATION first.",
    },
    Topic {
        title: "Sysprep 通用化失败（预配 Appx 包） / Sysprep generalize fails on a provisioned Appx package",
        product: "Windows 11 Pro",
        version: "24H2",
        tags: &["imaging", "sysprep"],
        problem: "sysprep /generalize 报错，setupact.log 提示某 Appx 包已为用户安装但未预配。sysprep /generalize fails; setupact.log says an Appx package is installed for a user but not provisioned.",
        summary: "客户的审核模式流程联网更新了应用商店应用，待 OEM 修改流程后重测。The audit-mode flow updates Store apps online; to be retested once the OEM changes the flow.",
        root_cause: "审核模式下联网导致应用商店自动更新了一个 Appx 包。Going online in audit mode let the Store update an Appx package.",
        resolution: "审核模式期间断网，并用 Remove-AppxPackage 清理后再通用化。Kept audit mode offline and removed the package with Remove-AppxPackage before generalizing.",
        note: "内部：错误码 0x80073cf2，包名 Microsoft.Copilot。Internal: error 0x80073cf2, package Microsoft.Copilot.",
    },
    Topic {
        title: "显卡驱动安装后外接显示器黑屏 / External monitor stays black after the graphics driver install",
        product: "Windows 11 Pro",
        version: "23H2",
        tags: &["driver", "display"],
        problem: "安装 OEM 定制显卡驱动后，通过 USB-C 连接的外接显示器无信号。After the OEM's graphics driver, an external monitor on USB-C gets no signal.",
        summary: "需要显卡厂商的固件配合，暂时归档，待新驱动发布。Needs a firmware change from the GPU vendor; archived until the new driver ships.",
        root_cause: "定制驱动的 VBT 表中未启用 DP Alt Mode 端口。The custom driver's VBT does not enable the DP Alt Mode port.",
        resolution: "OEM 更新 VBT 并重新签名驱动。The OEM updated the VBT and re-signed the driver.",
        note: "内部：通用驱动正常，问题只在定制包。Internal: the generic driver works; only the custom package fails.",
    },
    Topic {
        title: "系统重置后 UEFI 启动项丢失 / UEFI boot entry lost after a system reset",
        product: "Windows 11 Home",
        version: "23H2",
        tags: &["bios", "uefi", "reset"],
        problem: "“删除所有内容”重置完成后，BIOS 中没有 Windows Boot Manager 启动项。After a “Remove everything” reset the BIOS shows no Windows Boot Manager entry.",
        summary: "BIOS 在 NVRAM 写满时丢弃新启动项，等待 BIOS 厂商修复。The BIOS drops new boot entries when NVRAM is full; waiting for the BIOS vendor's fix.",
        root_cause: "NVRAM 被调试日志变量占满，bcdboot 写入的启动项被丢弃。NVRAM was filled by debug log variables, so the entry bcdboot wrote was dropped.",
        resolution: "BIOS 1.12 启动时清理调试变量。BIOS 1.12 clears the debug variables at boot.",
        note: "内部：bcdedit /enum firmware 在重置前后对比。Internal: compare bcdedit /enum firmware before and after the reset.",
    },
    Topic {
        title: "网卡驱动在 Windows Server 2022 上蓝屏 0x133 / NIC driver bugchecks 0x133 on Windows Server 2022",
        product: "Windows Server 2022 Datacenter",
        version: "20348.2762",
        tags: &["driver", "bsod", "server"],
        problem: "高负载下服务器蓝屏 DPC_WATCHDOG_VIOLATION (0x133)，堆栈指向网卡驱动。Under load the server bugchecks with DPC_WATCHDOG_VIOLATION (0x133); the stack points at the NIC driver.",
        summary: "已提交转储给网卡厂商，等待分析结果。Dumps sent to the NIC vendor; waiting for their analysis.",
        root_cause: "网卡驱动在 RSS 队列重平衡时长时间持有自旋锁。The NIC driver holds a spin lock for too long while rebalancing RSS queues.",
        resolution: "升级网卡驱动到 1.9.2，并关闭 VMQ 作为临时规避。Updated the NIC driver to 1.9.2 and disabled VMQ as a workaround.",
        note: "内部：完整内存转储 64 GB，已放在分析机上。Internal: the 64 GB full memory dump is on the analysis machine.",
    },
    Topic {
        title: "恢复分区中的 winre.wim 版本与系统不一致 / winre.wim in the recovery partition does not match the OS build",
        product: "Windows 11 Pro",
        version: "23H2 (22631.4317)",
        tags: &["recovery", "winre"],
        problem: "累积更新后 reagentc /info 显示 WinRE 版本仍为出厂版本。After the cumulative update reagentc /info still reports the factory WinRE version.",
        summary: "恢复分区空间不足导致 WinRE 更新失败，OEM 评估调整分区大小。The recovery partition is too small for the WinRE update; the OEM is weighing a larger partition.",
        root_cause: "恢复分区剩余空间小于 250 MB，WinRE 更新被跳过。The recovery partition had less than 250 MB free, so the WinRE update was skipped.",
        resolution: "按 KB5028997 的方法将恢复分区扩大到 1 GB。Grew the recovery partition to 1 GB as KB5028997 describes.",
        note: "内部：ReAgent.log 中有 0x80070070（磁盘空间不足）。Internal: ReAgent.log shows 0x80070070 (not enough space).",
    },
    Topic {
        title: "审核模式下驱动签名验证失败 / Driver signature check fails in audit mode",
        product: "Windows 11 Enterprise",
        version: "24H2",
        tags: &["driver", "signing"],
        problem: "审核模式安装 OEM 传感器驱动时提示“无法验证此驱动程序的数字签名”。Installing the OEM's sensor driver in audit mode fails with “cannot verify the digital signature”.",
        summary: "驱动仅有测试签名，等待 OEM 提交 WHQL 认证。The driver has a test signature only; waiting for the OEM's WHQL submission.",
        root_cause: "驱动包由测试证书签名，未经过硬件开发中心签名。The package was signed with a test certificate, not through the Hardware Dev Center.",
        resolution: "OEM 提交认证后使用正式签名的驱动包。The OEM used the properly signed package after certification.",
        note: "内部：signtool verify /v /pa 输出已附在案例里。Internal: the signtool verify /v /pa output is on the case.",
    },
    Topic {
        title: "镜像部署后激活失败（OA3 密钥未读取） / Activation fails after deployment (OA3 key not read)",
        product: "Windows 11 Pro",
        version: "23H2",
        tags: &["imaging", "activation", "bios"],
        problem: "部署后系统未自动激活，slmgr /dli 显示无产品密钥。After deployment Windows is not activated; slmgr /dli shows no product key.",
        summary: "怀疑 MSDM 表未写入，等待 OEM 提供 OA3 工具日志。The MSDM table may not have been written; waiting for the OEM's OA3 tool log.",
        root_cause: "产线 OA3 工具写入密钥后未执行报告步骤，BIOS 中 MSDM 表为空。The factory OA3 tool skipped its report step, leaving the MSDM table empty.",
        resolution: "重新执行 OA3 注入流程并核对 MSDM 表。Ran the OA3 injection again and checked the MSDM table.",
        note: "内部：可用 RWEverything 读取 ACPI MSDM 表确认。Internal: read the ACPI MSDM table with RWEverything to confirm.",
    },
    Topic {
        title: "Modern Standby 下电池消耗过快 / Battery drains quickly in Modern Standby",
        product: "Windows 11 Home",
        version: "24H2",
        tags: &["driver", "power"],
        problem: "合盖 8 小时后电量下降 30%。The battery loses 30% over 8 hours with the lid closed.",
        summary: "SleepStudy 显示 Wi-Fi 驱动阻止进入 DRIPS，等待网卡厂商驱动。SleepStudy shows the Wi-Fi driver blocking DRIPS; waiting for the vendor's driver.",
        root_cause: "Wi-Fi 驱动未启用 D3 冷态，系统无法进入最低功耗状态。The Wi-Fi driver does not enable D3cold, so the system never reaches its lowest power state.",
        resolution: "更新 Wi-Fi 驱动并在 BIOS 中开启 RTD3。Updated the Wi-Fi driver and enabled RTD3 in the BIOS.",
        note: "内部：powercfg /sleepstudy 报告已收到。Internal: the powercfg /sleepstudy report is in.",
    },
    Topic {
        title: "添加中文语言包后恢复环境仍为英文 / WinRE stays English after adding the zh-CN language pack",
        product: "Windows 11 Pro",
        version: "23H2",
        tags: &["recovery", "winre", "language"],
        problem: "系统语言为简体中文，但进入 WinRE 后界面为英文。The OS is in Simplified Chinese, but WinRE shows English.",
        summary: "产线只给系统映像加了语言包，WinRE 映像未处理，OEM 修改流程中。The factory added the language pack to the OS image only, not to WinRE; the OEM is changing the flow.",
        root_cause: "winre.wim 未添加 zh-CN 语言包及对应的可选组件。winre.wim lacked the zh-CN language pack and its optional components.",
        resolution: "用 DISM 为 winre.wim 添加 zh-CN 语言包和 WinPE-*_zh-cn 组件。Added the zh-CN pack and the WinPE-*_zh-cn components to winre.wim with DISM.",
        note: "内部：注意语言包版本须与 WinRE 版本一致。Internal: the language pack must match the WinRE build.",
    },
    Topic {
        title: "TPM 固件更新后 Windows Hello 失效 / Windows Hello stops working after a TPM firmware update",
        product: "Windows 11 Enterprise",
        version: "23H2",
        tags: &["bios", "tpm"],
        problem: "TPM 固件升级后，PIN 登录提示“出现问题，你的 PIN 不可用”。After the TPM firmware update, PIN sign-in says “Something happened and your PIN isn't available”.",
        summary: "TPM 清除后需要重新注册 Hello，等待客户确认部署方式。Hello must be re-enrolled after the TPM was cleared; waiting for the partner to confirm their rollout.",
        root_cause: "固件更新清除了 TPM，原有 Hello 密钥失效。The firmware update cleared the TPM, invalidating the Hello keys.",
        resolution: "更新流程中加入提示用户重新设置 PIN 的步骤。Added a step that asks users to set their PIN again.",
        note: "内部：事件日志 Microsoft-Windows-HelloForBusiness 有 7054。Internal: event 7054 in Microsoft-Windows-HelloForBusiness.",
    },
    Topic {
        title: "PXE 部署时 WinPE 无法识别 NVMe 硬盘 / WinPE over PXE does not see the NVMe disk",
        product: "Windows PE",
        version: "10.0.22621",
        tags: &["imaging", "winpe", "storage-driver"],
        problem: "通过 WDS 启动的 WinPE 中 diskpart 看不到 NVMe 硬盘。In WinPE started from WDS, diskpart shows no NVMe disk.",
        summary: "BIOS 中存储控制器为 RAID 模式，需 OEM 提供 VMD 驱动。The storage controller is in RAID mode; the OEM must supply the VMD driver.",
        root_cause: "Intel VMD 开启时 WinPE 缺少 iaStorVD 驱动。With Intel VMD on, WinPE lacks the iaStorVD driver.",
        resolution: "用 DISM /Add-Driver 将 VMD 驱动注入 boot.wim。Injected the VMD driver into boot.wim with DISM /Add-Driver.",
        note: "内部：切到 AHCI 可临时规避，但产线不接受。Internal: switching to AHCI works around it, but the factory will not accept that.",
    },
    Topic {
        title: "音频驱动导致关机卡住 / Audio driver keeps shutdown from finishing",
        product: "Windows 11 Home",
        version: "23H2",
        tags: &["driver", "audio"],
        problem: "关机停在“正在关机”界面 5 分钟以上，强制关机后下次开机正常。Shutdown sits at “Shutting down” for over 5 minutes; after a forced power-off the next boot is fine.",
        summary: "WPR 跟踪指向音频驱动，已转给音频芯片厂商。A WPR trace points at the audio driver; handed to the codec vendor.",
        root_cause: "音频服务在关机时等待一个已断开的蓝牙端点。The audio service waits at shutdown for a Bluetooth endpoint that is gone.",
        resolution: "音频驱动 6.0.9600 修复了等待逻辑。Audio driver 6.0.9600 fixed the wait.",
        note: "内部：WPR 关机跟踪已放在共享盘。Internal: the WPR shutdown trace is on the share.",
    },
    Topic {
        title: "F12 一键恢复进入错误的分区 / The F12 one-key recovery boots the wrong partition",
        product: "Windows 10 Pro",
        version: "22H2 (19045.5011)",
        tags: &["recovery", "bios"],
        problem: "开机按 F12 进入一键恢复时启动的是旧的 OEM 工具分区而不是 WinRE。Pressing F12 at boot starts the old OEM tools partition instead of WinRE.",
        summary: "BIOS 热键仍指向旧分区 GUID，等待 OEM 更新 BIOS 设置。The BIOS hotkey still points at the old partition GUID; waiting for the OEM's BIOS setting.",
        root_cause: "重新分区后 WinRE 所在分区 GUID 改变，BIOS 热键未更新。Repartitioning changed the WinRE partition's GUID and the hotkey was not updated.",
        resolution: "BIOS 改为读取 BCD 中的恢复序列而不是固定 GUID。The BIOS now follows the recovery sequence in the BCD instead of a fixed GUID.",
        note: "内部：reagentc /info 中的分区号与 BIOS 配置不一致。Internal: the partition in reagentc /info differs from the BIOS setting.",
    },
];

/// One generated case: what it is about and where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlannedCase {
    /// Which topic.
    topic: usize,
    /// Which customer.
    customer: usize,
    /// Its priority.
    priority: Priority,
    /// Where it ends.
    status: Status,
    /// Its owner's login, or none.
    owner: Option<&'static str>,
    /// Who writes its internal note, if anyone.
    note_by: Option<&'static str>,
}

/// The generated cases, the same at every run: every status five times, each customer ten times.
fn plan() -> Vec<PlannedCase> {
    (0..CASE_COUNT)
        .map(|index| {
            let status = Status::ALL[index % Status::ALL.len()];
            let round = index / Status::ALL.len();
            let owner = match status {
                // Most new cases wait for someone to pick them up.
                Status::New if round < 3 => None,
                _ if index % 3 == 0 => Some(MANAGER),
                _ => Some(ENGINEER),
            };
            let note_by = match (status, index % 4) {
                (Status::New, _) => None,
                (_, 1) => Some(LIAISON),
                (_, 3) => None,
                _ => owner,
            };
            PlannedCase {
                topic: index % TOPICS.len(),
                customer: (index % Status::ALL.len() + round) % CUSTOMERS.len(),
                priority: PRIORITY_CYCLE[index % PRIORITY_CYCLE.len()],
                status,
                owner,
                note_by,
            }
        })
        .collect()
}

/// The changes that take a new case to `to`, each allowed by the state machine, the way cases
/// usually go: worked on, waiting, closed, and for a reopened one archived first (as the seed
/// case was).
fn route(to: Status) -> &'static [Status] {
    use Status::*;
    match to {
        New => &[],
        InProgress => &[InProgress],
        WaitingOnCustomer => &[InProgress, WaitingOnCustomer],
        WaitingOnThirdParty => &[InProgress, WaitingOnThirdParty],
        Archived => &[InProgress, WaitingOnCustomer, Archived],
        Resolved => &[InProgress, Resolved],
        Cancelled => &[Cancelled],
        Reopened => &[InProgress, WaitingOnCustomer, Archived, Reopened],
    }
}

/// The stage label a case in this status shows (the seed's labels).
fn stage_for(status: Status) -> &'static str {
    match status {
        Status::New => "初次响应",
        Status::InProgress => "问题分析",
        Status::WaitingOnCustomer => "日志收集",
        Status::WaitingOnThirdParty => "等待反馈",
        Status::Archived => "案例归档",
        Status::Resolved | Status::Cancelled => "案例关闭",
        Status::Reopened => "问题分析",
    }
}

/// The written summary a change to `to` needs, in the seed's form.
fn summary_for(topic: &Topic, to: Status) -> Option<String> {
    match to {
        Status::Archived => Some(format!(
            "问题描述：\n----\n{}\n案例总结：\n----\n{}\n",
            topic.problem, topic.summary
        )),
        Status::Resolved => Some(format!(
            "问题描述：\n----\n{}\n根本原因：\n----\n{}\n解决方案：\n----\n{}\n",
            topic.problem, topic.root_cause, topic.resolution
        )),
        _ => None,
    }
}

/// A random password from the app's generator.
fn password(rng: &mut impl Rng) -> String {
    (0..DEMO_PASSWORD_CHARS)
        .filter_map(|_| PASSWORD_ALPHABET.choose(rng))
        .map(|byte| char::from(*byte))
        .collect()
}

/// One message of the built-in thread.
struct ThreadMessage {
    /// Sender: name and address.
    from: (&'static str, &'static str),
    /// Recipient: name and address.
    to: (&'static str, &'static str),
    /// When it was sent, seconds since the epoch.
    sent: i64,
    /// Its Message-ID, without brackets.
    id: &'static str,
    /// The text.
    body: &'static str,
}

const PARTNER: (&str, &str) = ("Huang Wen（黄文）", "partner@acer.com");
const ENGINEER_BOX: (&str, &str) = ("Chen Hao（陈浩）", "engineer@cmgos.com");

/// The built-in thread's title.
const THREAD_TITLE: &str =
    "累积更新后 WinRE 无法启动 / WinRE fails to start after the cumulative update";

/// The built-in thread: a partner at Acer and an engineer at CMGOS, in Chinese and English.
const THREAD: [ThreadMessage; 4] = [
    ThreadMessage {
        from: PARTNER,
        to: ENGINEER_BOX,
        // 2024-11-04 09:12:00 +08:00
        sent: 1_730_682_720,
        id: "demo-winre-1@acer.com",
        body: "Hi Chen Hao，

我们在 Aspire C24-1800 的定制镜像（Windows 11 23H2，22631.4317）上安装 10 月累积更新后，\
“重置此电脑”无法进入恢复环境，提示“找不到恢复环境”。reagentc /info 显示 Windows RE status: Disabled。\
产线约 3% 的机器受影响。

After the October cumulative update on our custom Aspire C24-1800 image (Windows 11 23H2, \
22631.4317), Reset this PC can no longer reach WinRE: \"Could not find the recovery environment\". \
reagentc /info reports Windows RE status: Disabled. About 3% of the units on the line are affected.

请协助分析，谢谢。
Best regards,
Huang Wen（黄文）
Acer Inc.
",
    },
    ThreadMessage {
        from: ENGINEER_BOX,
        to: PARTNER,
        // 2024-11-04 14:30:00 +08:00
        sent: 1_730_701_800,
        id: "demo-winre-2@cmgos.com",
        body: "Hi Huang Wen，

收到。请在一台出现问题的机器上收集以下信息：
1. reagentc /info 的完整输出
2. C:\\Windows\\System32\\Recovery\\ReAgent.xml
3. C:\\Windows\\Logs\\ReAgent\\ 下的日志，以及 C:\\Windows\\Panther\\setupact.log
4. diskpart 中 list partition 的结果（恢复分区的大小与剩余空间）

Please collect the above from an affected unit and upload it to the case. We suspect the \
recovery partition has too little free space for the update to service winre.wim.

Best regards,
Chen Hao（陈浩）
CMGOS Support Engineering
",
    },
    ThreadMessage {
        from: PARTNER,
        to: ENGINEER_BOX,
        // 2024-11-06 10:05:00 +08:00
        sent: 1_730_858_700,
        id: "demo-winre-3@acer.com",
        body: "Hi Chen Hao，

日志已上传。恢复分区大小为 500 MB，剩余 38 MB。ReAgent.log 中有 0x80070070。
The logs are uploaded. The recovery partition is 500 MB with 38 MB free; ReAgent.log shows 0x80070070.

Huang Wen（黄文）
",
    },
    ThreadMessage {
        from: ENGINEER_BOX,
        to: PARTNER,
        // 2024-11-07 16:20:00 +08:00
        sent: 1_730_967_600,
        id: "demo-winre-4@cmgos.com",
        body: "Hi Huang Wen，

分析结果如下：
根本原因：恢复分区剩余空间不足 250 MB，累积更新无法更新 winre.wim，更新失败后 WinRE 被禁用。
建议方案：按 KB5028997 的方法在产线镜像中将恢复分区扩大到 1 GB，然后执行 reagentc /enable。\
我们已在两台样机上验证，重置恢复正常。

Root cause: the recovery partition had less than 250 MB free, so the update could not service \
winre.wim and WinRE was left disabled. Suggested fix: grow the recovery partition to 1 GB in the \
factory image as KB5028997 describes, then run reagentc /enable. Verified on two sample units: \
Reset this PC works again.

如有疑问请随时联系。
Best regards,
Chen Hao（陈浩）
CMGOS Support Engineering
",
    },
];

/// The staff who work the demo cases, as the actors they are when signed in.
struct Crew {
    admin: Actor,
    manager: Actor,
    engineer: Actor,
    liaison: Actor,
}

impl Crew {
    /// The staff member with this login.
    fn member(&self, login: &str) -> Result<&Actor, AppError> {
        match login {
            ADMIN => Ok(&self.admin),
            MANAGER => Ok(&self.manager),
            ENGINEER => Ok(&self.engineer),
            LIAISON => Ok(&self.liaison),
            other => Err(AppError::internal(format!(
                "{other} is not one of the demo staff"
            ))),
        }
    }
}

/// A file that is removed when dropped: the built-in thread exists on disk only while imported.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// Writes `bytes` to a new file of a random name in the system's temp folder.
    fn create(bytes: &[u8], rng: &mut impl Rng) -> Result<TempFile, AppError> {
        let name: [u8; 8] = rng.random();
        let path = std::env::temp_dir().join(format!("casebook-demo-{}.mbox", hex::encode(name)));
        let cannot_write = |path: &Path, error: std::io::Error| {
            AppError::internal(format!(
                "cannot write the demo thread to {}: {error}",
                path.display()
            ))
        };
        // A new file only: never through a name someone placed there first.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|error| cannot_write(&path, error))?;
        let temp = TempFile { path };
        file.write_all(bytes)
            .map_err(|error| cannot_write(&temp.path, error))?;
        Ok(temp)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "could not remove the demo thread's temporary file {}", self.path.display());
        }
    }
}

fn lettre_mailbox((name, address): (&str, &str)) -> Result<LettreMailbox, AppError> {
    let address = address.parse().map_err(|error| {
        AppError::internal(format!("the demo address {address} is not valid: {error}"))
    })?;
    Ok(LettreMailbox::new(Some(name.to_string()), address))
}

/// One message as an mbox entry: the `From ` line, the message with LF line ends, and lines
/// that begin with `From ` quoted as mboxrd does.
fn mbox_entry(sender: &str, sent: DateTime<Utc>, message: &[u8]) -> Vec<u8> {
    let mut entry = format!("From {sender} {}\n", sent.format("%a %b %e %H:%M:%S %Y")).into_bytes();
    let text = String::from_utf8_lossy(message).replace("\r\n", "\n");
    for line in text.split_inclusive('\n') {
        if line.trim_start_matches('>').starts_with("From ") {
            entry.push(b'>');
        }
        entry.extend_from_slice(line.as_bytes());
    }
    if !entry.ends_with(b"\n") {
        entry.push(b'\n');
    }
    entry.push(b'\n');
    entry
}

impl App {
    /// Loads demo data into an EMPTY store; returns loaded=false (and no logins) when the store
    /// already holds cases or users.
    ///
    /// Adds the organizations, the six users (each with a random password, returned once in the
    /// report), the thread (`seed` when it names a file, else the built-in one), and the generated
    /// cases. `progress(done, total)` is called after each step.
    pub async fn demo_load(
        &self,
        seed: Option<&Path>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<DemoReport, AppError> {
        let before = self.store.stats().await?;
        if before.cases > 0 || !self.store.list_users().await?.is_empty() {
            tracing::info!(
                cases = before.cases,
                "the store is not empty: no demo data loaded"
            );
            return Ok(DemoReport {
                loaded: false,
                cases: before.cases,
                logins: Vec::new(),
            });
        }
        let plan = plan();
        let total =
            u64::try_from(1 + CUSTOMERS.len() + USERS.len() + 1 + plan.len()).unwrap_or(u64::MAX);
        let mut done = 0u64;
        let mut step = |progress: &mut (dyn FnMut(u64, u64) + Send)| {
            done += 1;
            progress(done, total);
        };

        self.org_add(STAFF_ORG.0, &[STAFF_ORG.1.to_string()], true)
            .await?;
        step(progress);
        for (name, domain) in CUSTOMERS {
            self.org_add(name, &[domain.to_string()], false).await?;
            step(progress);
        }

        let mut logins = Vec::with_capacity(USERS.len());
        for (login, role, org, name) in USERS {
            let password = password(&mut self.rng());
            self.user_add(
                NewUser {
                    login: login.to_string(),
                    role,
                    org: Some(org.to_string()),
                    name: Some(name.to_string()),
                    email: None,
                    password: password.clone(),
                },
                DEMO_ACTOR,
            )
            .await?;
            logins.push(DemoLogin {
                login: login.to_string(),
                role,
                org: org.to_string(),
                password,
            });
            step(progress);
        }

        let crew = Crew {
            admin: self.demo_actor(ADMIN).await?,
            manager: self.demo_actor(MANAGER).await?,
            engineer: self.demo_actor(ENGINEER).await?,
            liaison: self.demo_actor(LIAISON).await?,
        };
        self.demo_thread(&crew, seed).await?;
        step(progress);

        for planned in &plan {
            self.demo_case(&crew, planned).await?;
            step(progress);
        }

        // The example SLA policy, so that clocks, the at-risk list and the dashboard have something
        // to show; history from before it escalates nothing.
        self.store
            .set_sla_policy(DEMO_POLICY, self.now().timestamp_micros(), Some(DEMO_ACTOR))
            .await?;
        self.sla_sweep(DEMO_ACTOR, u64::MAX).await?;

        let cases = self.store.stats().await?.cases;
        tracing::info!(cases, "demo data loaded: {cases} cases");
        Ok(DemoReport {
            loaded: true,
            cases,
            logins,
        })
    }

    /// A demo user as the actor they would be if they signed in, named by their login.
    async fn demo_actor(&self, login: &str) -> Result<Actor, AppError> {
        let actor = self.actor_for_contact(login).await?;
        if actor.viewer() != Viewer::Staff {
            return Err(AppError::internal(format!(
                "the demo user {login} is not staff"
            )));
        }
        Ok(Actor {
            name: login.to_string(),
            ..actor
        })
    }

    /// Imports the seed's export when it names a file, else the built-in thread; the engineer who
    /// answers it owns its case and is working on it.
    async fn demo_thread(&self, crew: &Crew, seed: Option<&Path>) -> Result<(), AppError> {
        let summary = match seed {
            Some(path) if path.is_file() => {
                self.import(&[path.to_path_buf()], None, &mut |_| {})
                    .await?
            }
            other => {
                if let Some(path) = other {
                    tracing::warn!(path = %path.display(), "no seed thread at {}; loading the built-in thread", path.display());
                }
                let bytes = self.demo_mbox()?;
                let file = TempFile::create(&bytes, &mut self.rng())?;
                self.import(std::slice::from_ref(&file.path), None, &mut |_| {})
                    .await?
            }
        };
        if summary.quarantined > 0 {
            tracing::warn!(
                quarantined = summary.quarantined,
                "{} messages of the demo thread went to quarantine",
                summary.quarantined
            );
        }
        tracing::info!(cases = ?summary.cases, imported = summary.imported, "demo thread imported");
        for number in &summary.cases {
            self.case_assign(&crew.manager, number, ENGINEER).await?;
            let record = self.case_by_label(number).await?;
            if record
                .status
                .allowed_targets()
                .contains(&Status::InProgress)
            {
                self.case_status(&crew.engineer, number, Status::InProgress, None)
                    .await?;
            }
            if record.number.to_string() == DEMO_THREAD_CASE {
                // The built-in thread ends with a fix the partner is to verify.
                self.case_tags(
                    &crew.admin,
                    number,
                    &["winre".into(), "recovery".into()],
                    &[],
                )
                .await?;
                self.case_status(&crew.engineer, number, Status::WaitingOnCustomer, None)
                    .await?;
            }
        }
        Ok(())
    }

    /// The built-in thread as an mbox, its subject rendered by the configured codec so that it
    /// names its case however subjects are written here.
    fn demo_mbox(&self) -> Result<Vec<u8>, AppError> {
        let number: CaseNumber = DEMO_THREAD_CASE
            .parse()
            .map_err(|error| AppError::internal(format!("the demo case number: {error}")))?;
        let subject = self.intake.codec.render(&SubjectFields {
            number,
            priority: Priority::P2,
            customer: CUSTOMERS[0].0.to_string(),
            title: THREAD_TITLE.to_string(),
            stage: "日志收集".to_string(),
            token: None,
        });
        let mut mbox = Vec::new();
        let mut earlier: Vec<String> = Vec::new();
        for message in &THREAD {
            let sent = DateTime::<Utc>::from_timestamp(message.sent, 0).ok_or_else(|| {
                AppError::internal(format!("the demo time {} is out of range", message.sent))
            })?;
            let mut builder = lettre::Message::builder()
                .from(lettre_mailbox(message.from)?)
                .to(lettre_mailbox(message.to)?)
                .subject(if earlier.is_empty() {
                    subject.clone()
                } else {
                    format!("RE: {subject}")
                })
                .message_id(Some(format!("<{}>", message.id)))
                .date(std::time::SystemTime::from(sent));
            if let Some(last) = earlier.last() {
                builder = builder
                    .in_reply_to(last.clone())
                    .references(earlier.join(" "));
            }
            let rendered = builder
                .singlepart(SinglePart::plain(message.body.to_string()))
                .map_err(|error| AppError::internal(format!("the demo thread: {error}")))?;
            mbox.extend(mbox_entry(message.from.1, sent, &rendered.formatted()));
            earlier.push(format!("<{}>", message.id));
        }
        Ok(mbox)
    }

    /// Opens one generated case and takes it where the plan says, as its people would.
    async fn demo_case(&self, crew: &Crew, planned: &PlannedCase) -> Result<(), AppError> {
        let topic = TOPICS
            .get(planned.topic)
            .ok_or_else(|| AppError::internal("a demo case names no topic".into()))?;
        let (customer, _) = CUSTOMERS
            .get(planned.customer)
            .ok_or_else(|| AppError::internal("a demo case names no customer".into()))?;
        let view = self
            .case_new(
                &crew.admin,
                NewCaseInput {
                    title: topic.title.to_string(),
                    customer: customer.to_string(),
                    new_org: false,
                    priority: Some(planned.priority),
                    stage: Some(stage_for(planned.status).to_string()),
                    product: Some(topic.product.to_string()),
                    version: Some(topic.version.to_string()),
                },
            )
            .await?;
        let number = view.summary.number;
        let mut tags: Vec<String> = topic.tags.iter().map(|tag| tag.to_string()).collect();
        if planned.priority == Priority::P1 {
            tags.push("escalated".to_string());
        }
        self.case_tags(&crew.admin, &number, &tags, &[]).await?;
        // The manager hands cases out; a case nobody owns is moved along by the admin.
        let worker = match planned.owner {
            Some(owner) => {
                self.case_assign(&crew.manager, &number, owner).await?;
                crew.member(owner)?
            }
            None => &crew.admin,
        };
        let route = route(planned.status);
        // The note comes while the case is being worked on: after its first change, before it closes.
        let note_at = route.len().min(1);
        for index in 0..=route.len() {
            if index == note_at {
                if let Some(author) = planned.note_by {
                    self.case_note(crew.member(author)?, &number, topic.note)
                        .await?;
                }
            }
            if let Some(to) = route.get(index) {
                let summary = summary_for(topic, *to);
                self.case_status(worker, &number, *to, summary.as_deref())
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use case::status::TransitionDetails;
    use case::summary::Summary;

    #[test]
    fn every_route_is_allowed_and_ends_where_it_should() {
        for status in Status::ALL {
            let mut at = Status::New;
            for to in route(status) {
                let details = TransitionDetails {
                    summary: summary_for(&TOPICS[0], *to).map(|text| Summary::read(&text).unwrap()),
                };
                at = at
                    .transition(*to, &details)
                    .unwrap_or_else(|error| panic!("{at} to {to}: {error}"));
            }
            assert_eq!(at, status);
        }
    }

    #[test]
    fn the_plan_covers_every_status_priority_and_customer() {
        let plan = plan();
        assert_eq!(plan.len(), 40);
        for status in Status::ALL {
            assert!(plan.iter().any(|case| case.status == status), "{status}");
        }
        for priority in Priority::ALL {
            assert!(
                plan.iter().any(|case| case.priority == priority),
                "{priority}"
            );
        }
        for (customer, (name, _)) in CUSTOMERS.iter().enumerate() {
            let theirs: Vec<_> = plan
                .iter()
                .filter(|case| case.customer == customer)
                .collect();
            assert_eq!(theirs.len(), 10, "{name}");
            // Each partner's queue shows cases in many states, not one.
            let statuses: std::collections::HashSet<_> = theirs.iter().map(|c| c.status).collect();
            assert!(statuses.len() >= 6, "{name}: {statuses:?}");
        }
        let unassigned = plan.iter().filter(|case| case.owner.is_none()).count();
        assert!((1..=5).contains(&unassigned), "{unassigned}");
        assert!(plan.iter().any(|case| case.owner == Some(MANAGER)));
        assert!(plan.iter().filter(|case| case.note_by.is_some()).count() >= 10);
    }

    #[test]
    fn every_topic_reads_as_summaries_and_fits_a_subject() {
        for topic in &TOPICS {
            assert!(topic.title.chars().count() <= 200, "{}", topic.title);
            assert!(topic.title.contains(" / "), "{}", topic.title);
            let archive = Summary::read(&summary_for(topic, Status::Archived).unwrap()).unwrap();
            assert!(archive.is_archive_summary(), "{}", topic.title);
            let resolve = Summary::read(&summary_for(topic, Status::Resolved).unwrap()).unwrap();
            assert!(resolve.is_resolution(), "{}", topic.title);
        }
    }

    #[test]
    fn passwords_are_long_and_random() {
        let mut rng = rand::rng();
        let one = password(&mut rng);
        assert_eq!(one.chars().count(), DEMO_PASSWORD_CHARS);
        assert_ne!(one, password(&mut rng));
    }

    #[test]
    fn a_login_is_debugged_without_its_password() {
        let login = DemoLogin {
            login: "admin@cmgos.com".into(),
            role: Role::Admin,
            org: "CMGOS".into(),
            password: "SECRET-PASSWORD-123".into(),
        };
        let text = format!(
            "{login:?} {:?}",
            DemoReport {
                loaded: true,
                cases: 1,
                logins: vec![login.clone()],
            }
        );
        assert!(!text.contains("SECRET-PASSWORD-123"), "{text}");
        assert!(text.contains("admin@cmgos.com"), "{text}");
    }

    #[test]
    fn an_mbox_entry_quotes_from_lines() {
        let sent = DateTime::<Utc>::from_timestamp(1_730_682_720, 0).unwrap();
        let entry = mbox_entry(
            "a@b.c",
            sent,
            b"Subject: x\r\n\r\nFrom here\r\n>From there\r\n",
        );
        assert_eq!(
            String::from_utf8(entry).unwrap(),
            "From a@b.c Mon Nov  4 01:12:00 2024\nSubject: x\n\n>From here\n>>From there\n\n"
        );
    }

    #[test]
    fn the_report_reads_in_both_languages() {
        let report = DemoReport {
            loaded: true,
            cases: 41,
            logins: vec![DemoLogin {
                login: "partner@acer.com".into(),
                role: Role::PartnerContact,
                org: "Acer".into(),
                password: "pw-0123456789abcdef".into(),
            }],
        };
        for lang in Lang::ALL {
            let lines = report.lines(lang);
            assert_eq!(lines.len(), 2);
            assert!(lines[0].contains("41"), "{lines:?}");
            assert!(lines[1].contains("partner@acer.com"), "{lines:?}");
            assert!(lines[1].contains("pw-0123456789abcdef"), "{lines:?}");
            assert!(lines[1].contains("Acer"), "{lines:?}");
            assert!(
                !lines.iter().any(|line| line.contains("demo-")),
                "{lines:?}"
            );
            let skipped = DemoReport {
                loaded: false,
                cases: 3,
                logins: Vec::new(),
            }
            .lines(lang);
            assert_eq!(skipped.len(), 1);
            assert!(!skipped[0].starts_with("demo-"), "{skipped:?}");
        }
        // The role is named in the reader's language.
        assert!(report.lines(Lang::ZhCn)[1].contains(&Lang::ZhCn.say("role-partner_contact")));
        assert!(report.lines(Lang::En)[1].contains("partner contact"));
    }
}
