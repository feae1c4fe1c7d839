//! `cargo xtask bench-load`: fills a store that already holds imported mail up to a given number of
//! cases and timeline entries with synthetic history, for the web benchmark.
//!
//! The added cases are what a support team's older history looks like: a title in Chinese or
//! English about an OEM's operating-system problem, a customer from the store's organizations,
//! staff engineers as owners, and a timeline of internal notes, status changes that follow the
//! state machine (archiving and resolving with their written summaries), assignments and field
//! changes, spread over several years. Mail is not made up here: it comes from the imported
//! corpus. Everything is written through [`store::Store::load_cases`], a batch of cases per
//! transaction, while the next batch is generated on another thread; a progress bar shows how far
//! it got.
//!
//! The same seed gives the same cases (only the case numbers' random suffixes and the staff
//! contacts' creation times differ).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use case::summary::Summary;
use case::{CaseField, CaseNumber, Event, Priority, Role, Status};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use store::bulk::{LoadCase, LoadCounts, LoadEntry};
use store::{OpenMode, Store, StoreConfig};

/// What `bench-load` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The data directory.
    pub data_dir: PathBuf,
    /// `postgres://…`, or `None` for SQLite in the data directory.
    pub database_url: Option<String>,
    /// Cases the store should hold afterwards.
    pub cases: u64,
    /// Timeline entries the store should hold afterwards.
    pub entries: u64,
    /// Cases per transaction.
    pub batch: usize,
    /// The generator's seed.
    pub seed: u64,
    /// The tracking tokens' prefix and first value (as `CASEBOOK_TOKEN_PREFIX` and `_START` give them).
    pub token_prefix: String,
    /// The first token value.
    pub token_start: u64,
}

/// What a load did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// What the store held before.
    pub before: LoadCounts,
    /// What it holds afterwards.
    pub after: LoadCounts,
    /// Cases added.
    pub added_cases: u64,
    /// Timeline entries added.
    pub added_entries: u64,
    /// Wall time of the load, milliseconds.
    pub elapsed_ms: u64,
}

/// The most entries one synthetic case gets (the imported corpus has the larger cases).
const MAX_CASE_ENTRIES: u32 = 120;

/// Synthetic cases are opened between these times (2017-01-02 and 2025-06-30, UTC, microseconds).
const FIRST_OPENED: i64 = 1_483_315_200_000_000;
const LAST_OPENED: i64 = 1_751_241_600_000_000;

const MINUTE: i64 = 60_000_000;

/// Fills the store; fails when it already holds more than asked for.
pub async fn run(options: &Options) -> Result<Report> {
    let started = Instant::now();
    let config = StoreConfig {
        database_url: options.database_url.clone(),
        ..StoreConfig::in_dir(&options.data_dir)
    };
    let store = Store::open_with(&config, OpenMode::Existing)
        .await
        .with_context(|| format!("opening the store in {}", options.data_dir.display()))?;
    let backend = match store.backend() {
        store::Backend::Sqlite => "sqlite",
        store::Backend::Postgres => "postgres",
    };
    let before = store.load_counts().await?;
    if before.cases > options.cases || before.timeline_entries > options.entries {
        bail!(
            "the store already holds {} cases and {} timeline entries, more than the {} and {} asked for",
            before.cases,
            before.timeline_entries,
            options.cases,
            options.entries
        );
    }
    let new_cases = options.cases - before.cases;
    let new_entries = options.entries - before.timeline_entries;
    if new_entries < new_cases {
        bail!(
            "{new_cases} more cases need at least {new_cases} timeline entries (their openings), but only {new_entries} more are asked for"
        );
    }

    let orgs = store.list_orgs().await?;
    let staff = orgs.iter().find(|org| org.is_staff).context(
        "the store has no staff organization; add one with `casebook org add NAME --staff`",
    )?;
    let customers: Vec<Customer> = orgs
        .iter()
        .filter(|org| !org.is_staff)
        .map(|org| Customer {
            id: org.id,
            name: org.name.clone(),
        })
        .collect();
    if customers.is_empty() && new_cases > 0 {
        bail!("the store has no customer organization; add them with `casebook org add NAME --domain D`");
    }
    let domain = staff
        .domains
        .first()
        .cloned()
        .unwrap_or_else(|| "staff.invalid".to_string());
    let now = chrono::Utc::now().timestamp_micros();
    let mut engineers = Vec::with_capacity(ENGINEERS.len());
    for (local, name) in ENGINEERS {
        let contact = store
            .add_contact(
                &format!("{local}@{domain}"),
                Some(name),
                Some(staff.id),
                Some(Role::Engineer),
                now,
            )
            .await?;
        engineers.push(Engineer {
            id: contact.id,
            name: contact.display_name,
        });
    }

    let mut rng = StdRng::seed_from_u64(options.seed);
    let sizes = plan_sizes(&mut rng, new_cases, new_entries);
    let progress = indicatif::ProgressBar::new(new_cases);
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} cases ({per_sec}, eta {eta}) {msg}",
        )?
        .progress_chars("=> "),
    );
    progress.set_message("0 entries");

    // One thread makes the cases, a batch ahead; this task writes them.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<LoadCase>>(2);
    let batch = options.batch.max(1);
    let generator = std::thread::spawn(move || -> Result<()> {
        let mut maker = Maker {
            rng,
            now,
            customers,
            engineers,
        };
        let total = sizes.len();
        for (start, chunk) in sizes.chunks(batch).enumerate() {
            let first = start * batch;
            let cases = chunk
                .iter()
                .enumerate()
                .map(|(offset, size)| maker.case(first + offset, total, *size))
                .collect::<Result<Vec<_>>>()?;
            if sender.blocking_send(cases).is_err() {
                break;
            }
        }
        Ok(())
    });
    let mut number_rng = StdRng::seed_from_u64(options.seed ^ 0x5eed);
    let mut added_entries = 0;
    while let Some(cases) = receiver.recv().await {
        let mut make_number = |seq: u64| CaseNumber::generate(seq, &mut number_rng);
        added_entries += store
            .load_cases(
                &cases,
                &mut make_number,
                Some((&options.token_prefix, options.token_start)),
            )
            .await?;
        progress.inc(u64::try_from(cases.len()).unwrap_or(u64::MAX));
        progress.set_message(format!("{added_entries} entries"));
    }
    match generator.join() {
        Ok(result) => result?,
        Err(_) => bail!("the case generator stopped unexpectedly"),
    }
    progress.finish();
    let after = store.load_counts().await?;
    store.close().await;
    if after.cases != options.cases || after.timeline_entries != options.entries {
        bail!(
            "the store holds {} cases and {} timeline entries after the load, not {} and {}",
            after.cases,
            after.timeline_entries,
            options.cases,
            options.entries
        );
    }
    Ok(Report {
        backend,
        before,
        after,
        added_cases: after.cases - before.cases,
        added_entries,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// How many entries (its opening included) each new case gets: a long tail, capped, summing to
/// exactly `entries`.
fn plan_sizes(rng: &mut StdRng, cases: u64, entries: u64) -> Vec<u32> {
    let count = usize::try_from(cases).unwrap_or(usize::MAX);
    if count == 0 {
        return Vec::new();
    }
    let mean = entries as f64 / cases as f64;
    let mut sizes: Vec<u32> = (0..count)
        .map(|_| {
            // Exponential around the mean: most cases short, a few long.
            let draw = -(mean - 1.0) * (1.0 - rng.random::<f64>()).ln();
            (1.0 + draw).round().clamp(1.0, f64::from(MAX_CASE_ENTRIES)) as u32
        })
        .collect();
    let mut total: u64 = sizes.iter().map(|size| u64::from(*size)).sum();
    while total != entries {
        let index = rng.random_range(0..count);
        if total < entries && sizes[index] < MAX_CASE_ENTRIES {
            sizes[index] += 1;
            total += 1;
        } else if total > entries && sizes[index] > 1 {
            sizes[index] -= 1;
            total -= 1;
        }
    }
    sizes
}

#[derive(Debug, Clone)]
struct Customer {
    id: i64,
    name: String,
}

#[derive(Debug, Clone)]
struct Engineer {
    id: i64,
    name: String,
}

/// Staff who own and work the synthetic cases: address local part and display name.
const ENGINEERS: [(&str, &str); 12] = [
    ("zhang.wei", "Zhang Wei（张伟）"),
    ("wang.fang", "Wang Fang（王芳）"),
    ("li.na", "Li Na（李娜）"),
    ("liu.yang", "Liu Yang（刘洋）"),
    ("chen.jing", "Chen Jing（陈静）"),
    ("yang.lei", "Yang Lei（杨磊）"),
    ("zhao.min", "Zhao Min（赵敏）"),
    ("huang.tao", "Huang Tao（黄涛）"),
    ("zhou.qiang", "Zhou Qiang（周强）"),
    ("wu.xia", "Wu Xia（吴霞）"),
    ("xu.jun", "Xu Jun（徐军）"),
    ("sun.li", "Sun Li（孙丽）"),
];

/// A problem the synthetic cases are about: title and problem description in both languages.
struct Topic {
    zh: &'static str,
    en: &'static str,
    problem_zh: &'static str,
    problem_en: &'static str,
}

const TOPICS: [Topic; 16] = [
    Topic {
        zh: "系统重置失败问题",
        en: "System reset fails",
        problem_zh: "用户在设置中选择“保留我的文件”重置系统，进度到 64% 时回滚并提示重置失败。",
        problem_en: "Resetting the PC with \"Keep my files\" rolls back at 64% with \"There was a problem resetting your PC\".",
    },
    Topic {
        zh: "更新后开机蓝屏",
        en: "Blue screen at boot after the monthly update",
        problem_zh: "安装当月累积更新后重启，出现 INACCESSIBLE_BOOT_DEVICE 蓝屏，无法进入桌面。",
        problem_en: "After the cumulative update the machine stops at boot with INACCESSIBLE_BOOT_DEVICE.",
    },
    Topic {
        zh: "预装镜像激活失败",
        en: "Preinstalled image fails to activate",
        problem_zh: "工厂预装镜像首次联网后激活失败，错误代码 0xC004F074。",
        problem_en: "The factory image does not activate on first connection; error 0xC004F074.",
    },
    Topic {
        zh: "睡眠唤醒后触摸板失灵",
        en: "Touchpad stops working after resume",
        problem_zh: "从睡眠唤醒后触摸板无响应，需要重启才能恢复，外接鼠标正常。",
        problem_en: "After resume from sleep the touchpad does not respond until a restart; an external mouse works.",
    },
    Topic {
        zh: "WinPE 下无法识别 NVMe 硬盘",
        en: "WinPE does not see the NVMe drive",
        problem_zh: "使用 WinPE 抓取 wim 镜像时无法识别两块 NVMe 硬盘，BIOS 中切换 AHCI 无效。",
        problem_en: "WinPE cannot see either NVMe drive when capturing the wim image; switching to AHCI in the BIOS does not help.",
    },
    Topic {
        zh: "OOBE 阶段卡在网络连接页面",
        en: "OOBE hangs on the network page",
        problem_zh: "开箱体验阶段停在“让我们为你连接到网络”，无法跳过，无线网卡驱动已集成。",
        problem_en: "Setup stays on \"Let's connect you to a network\" and cannot be skipped, although the wireless driver is in the image.",
    },
    Topic {
        zh: "外接显示器间歇性黑屏",
        en: "External monitor goes black intermittently",
        problem_zh: "通过扩展坞连接的 4K 显示器每隔数分钟黑屏 2 秒，更换线缆后依旧。",
        problem_en: "A 4K monitor on the dock goes black for two seconds every few minutes; new cables did not help.",
    },
    Topic {
        zh: "BitLocker 反复要求恢复密钥",
        en: "BitLocker asks for the recovery key at every boot",
        problem_zh: "固件更新后每次开机都要求输入 BitLocker 恢复密钥，TPM 状态显示正常。",
        problem_en: "Since the firmware update every boot asks for the BitLocker recovery key; the TPM reports ready.",
    },
    Topic {
        zh: "声卡驱动安装后无声音",
        en: "No sound after installing the audio driver",
        problem_zh: "安装新版声卡驱动后扬声器无声音，设备管理器中显示正常。",
        problem_en: "After the new audio driver the speakers are silent, although Device Manager shows no problem.",
    },
    Topic {
        zh: "定制镜像 Sysprep 失败",
        en: "Sysprep fails on the custom image",
        problem_zh: "在定制镜像上执行 sysprep /generalize 报错，日志提示某个预装应用无法移除。",
        problem_en: "sysprep /generalize fails on the custom image; the log says a preinstalled app cannot be removed.",
    },
    Topic {
        zh: "Windows Hello 人脸识别不可用",
        en: "Windows Hello face sign-in unavailable",
        problem_zh: "红外摄像头在设备管理器中可见，但 Windows Hello 提示找不到兼容的摄像头。",
        problem_en: "The IR camera is listed in Device Manager, but Windows Hello says no compatible camera was found.",
    },
    Topic {
        zh: "关机后电池异常耗电",
        en: "Battery drains while shut down",
        problem_zh: "关机放置一夜后电量下降约 30%，快速启动已关闭。",
        problem_en: "The battery loses about 30% overnight while shut down, with fast startup off.",
    },
    Topic {
        zh: "恢复分区无法启动",
        en: "Recovery partition does not boot",
        problem_zh: "按 F11 进入恢复环境时提示找不到恢复映像，分区表中恢复分区存在。",
        problem_en: "F11 says no recovery image was found, although the recovery partition is in the partition table.",
    },
    Topic {
        zh: "无线网卡频繁断线",
        en: "Wi-Fi drops every few minutes",
        problem_zh: "连接 5GHz 网络时每隔几分钟断线重连，事件查看器中有 NETwtw 警告。",
        problem_en: "On 5 GHz networks the connection drops and comes back every few minutes; NETwtw warnings in the event log.",
    },
    Topic {
        zh: "应用商店预装应用无法更新",
        en: "Preinstalled Store apps do not update",
        problem_zh: "预装的应用商店应用更新时报错 0x80073CF9，其他应用正常。",
        problem_en: "Preinstalled Store apps fail to update with 0x80073CF9; other apps update.",
    },
    Topic {
        zh: "多语言镜像切换显示语言失败",
        en: "Display language cannot be changed on the multilingual image",
        problem_zh: "多语言镜像中切换为繁体中文后重新登录仍显示英文。",
        problem_en: "On the multilingual image, switching to Traditional Chinese still shows English after signing in again.",
    },
];

/// Machine models named in titles.
const MODELS: [&str; 10] = [
    "AX14-G3",
    "PX15 Pro",
    "NB-5120",
    "TM-P214",
    "AIO-24C",
    "WS-T7",
    "SV-R640",
    "MX-13 Flip",
    "EX-215",
    "CB-311",
];

const PRODUCTS: [&str; 8] = [
    "Windows 10 IoT Enterprise",
    "Windows 10 Pro",
    "Windows 11 Pro",
    "Windows 11 Home",
    "Windows Server 2019",
    "Windows Server 2022",
    "Windows 10 Enterprise LTSC",
    "Windows 11 IoT Enterprise",
];

const VERSIONS: [&str; 8] = [
    "17763.1757",
    "19044.2604",
    "19045.3693",
    "22000.2538",
    "22621.2861",
    "22631.3296",
    "20348.2322",
    "26100.1742",
];

const STAGES: [&str; 5] = ["初次响应", "问题分析", "等待日志", "方案验证", "结案确认"];

const TAGS: [&str; 12] = [
    "bios",
    "driver",
    "image",
    "activation",
    "update",
    "oobe",
    "recovery",
    "escalated",
    "rma",
    "sla-risk",
    "客户现场",
    "回归问题",
];

const NOTES_ZH: [&str; 24] = [
    "已与客户电话沟通，确认问题可以稳定复现。",
    "请客户使用附件工具收集日志并上传到文件服务器。",
    "日志已收到，正在分析 setupact.log 和 CBS.log。",
    "在实验室同型号机器上未能复现，需要客户提供完整镜像。",
    "怀疑与定制驱动包有关，已请客户提供驱动清单。",
    "已升级到产品组，等待对方回复。",
    "客户反馈更换新版 BIOS 后问题依旧。",
    "提供了临时规避方案：先卸载更新再执行重置。",
    "客户确认规避方案有效，等待正式补丁。",
    "与售前确认：客户内部流程较慢，本周无法提供镜像。",
    "已安排下周二远程会议，一起抓取内存转储。",
    "内存转储分析结果：故障点在第三方过滤驱动。",
    "对比了两个版本的镜像，差异在预装应用列表。",
    "已把复现步骤整理成文档发给客户确认。",
    "客户要求提供书面的根因说明，已准备初稿。",
    "两周没有客户更新，已发邮件跟进。",
    "产品组确认这是已知问题，将在下个月的累积更新中修复。",
    "测试了补丁预览版，问题不再出现。",
    "客户现场工程师反馈部分机器仍有问题，正在收集序列号。",
    "已核对固件版本，受影响机器均为同一批次。",
    "根据客户要求，把案例优先级调整为 P2。",
    "在 WinPE 中加载了存储驱动后可以识别硬盘。",
    "客户同意先暂停案例，等待新版镜像。",
    "已向客户说明案例范围，超出部分需另开案例。",
];

const NOTES_EN: [&str; 24] = [
    "Called the partner: the problem reproduces every time on their side.",
    "Asked the partner to collect logs with the attached tool and upload them.",
    "Logs received; going through setupact.log and CBS.log.",
    "Could not reproduce on the same model in the lab; asked for the full image.",
    "Looks related to the custom driver pack; asked for the driver list.",
    "Escalated to the product group, waiting for their answer.",
    "Partner reports the new BIOS does not change anything.",
    "Sent a workaround: uninstall the update first, then reset.",
    "Partner confirms the workaround works; waiting for the official fix.",
    "Checked with presales: the partner's internal process is slow, no image this week.",
    "Remote session booked for Tuesday to capture a memory dump together.",
    "Dump analysis: the fault is in a third-party filter driver.",
    "Compared both image versions: they differ in the preinstalled apps.",
    "Wrote the repro steps up and sent them to the partner to confirm.",
    "The partner wants a written root cause; first draft ready.",
    "No update from the partner for two weeks; followed up by mail.",
    "Product group confirms a known issue, fixed in next month's cumulative update.",
    "Tested the preview of the fix: the problem is gone.",
    "The partner's field engineer still sees it on some units; collecting serial numbers.",
    "Checked firmware versions: every affected unit is from the same batch.",
    "Raised the priority to P2 as the partner asked.",
    "With the storage driver loaded, WinPE sees the drive.",
    "The partner agrees to pause the case until the new image is ready.",
    "Explained the case scope to the partner; anything beyond it needs a new case.",
];

const SUMMARY_ZH: [&str; 4] = [
    "经测试分析，与用户定制镜像有关，由于 OEM 暂未提供镜像文件，无法展开下一步分析，案例暂时归档。",
    "已提供规避方案，客户确认可以接受，后续如有需要可重新开启案例。",
    "客户内部项目暂停，双方同意先归档，保留全部日志。",
    "等待产品组补丁发布，补丁发布后再与客户确认。",
];

const SUMMARY_EN: [&str; 4] = [
    "Testing points at the partner's custom image; the OEM has not sent the image yet, so the case is archived for now.",
    "A workaround was provided and accepted; the case can be reopened if needed.",
    "The partner's project is on hold; both sides agreed to archive and keep every log.",
    "Waiting for the product group's fix; we confirm with the partner once it ships.",
];

const ROOT_CAUSE_ZH: [&str; 4] = [
    "定制驱动包中的过滤驱动与累积更新不兼容。",
    "预装应用在 Sysprep 前未正确注销。",
    "固件中 TPM 配置在更新后被重置。",
    "镜像中缺少对应的存储控制器驱动。",
];

const ROOT_CAUSE_EN: [&str; 4] = [
    "A filter driver in the custom driver pack is incompatible with the cumulative update.",
    "A preinstalled app was not deprovisioned before Sysprep.",
    "The firmware resets its TPM configuration during the update.",
    "The image lacks the storage controller's driver.",
];

const RESOLUTION_ZH: [&str; 4] = [
    "更新驱动包至新版本后重新生成镜像，客户验证通过。",
    "调整镜像制作流程，在 Sysprep 前移除该应用。",
    "升级固件至修复版本，并重新启用 BitLocker。",
    "在镜像和 WinPE 中集成存储驱动。",
];

const RESOLUTION_EN: [&str; 4] = [
    "Rebuilt the image with the updated driver pack; the partner verified it.",
    "Changed the image process to remove the app before Sysprep.",
    "Upgraded to the fixed firmware and enabled BitLocker again.",
    "Added the storage driver to the image and to WinPE.",
];

/// Makes synthetic cases; deterministic for a seed.
struct Maker {
    rng: StdRng,
    /// No entry is later than this.
    now: i64,
    customers: Vec<Customer>,
    engineers: Vec<Engineer>,
}

/// What a new entry will be.
enum Step {
    Note,
    Status,
    Assign,
    Field,
}

impl Maker {
    /// The `index`th of `total` new cases, with `size` entries (its opening included).
    fn case(&mut self, index: usize, total: usize, size: u32) -> Result<LoadCase> {
        let rng = &mut self.rng;
        let zh = rng.random_bool(0.55);
        let topic = TOPICS.choose(rng).context("topics")?;
        let customer = self.customers.choose(rng).context("customers")?.clone();
        let span = LAST_OPENED - FIRST_OPENED;
        // Cases are opened in order of their index (numbers grow with time), a few hours apart.
        let slot = span / i64::try_from(total.max(1)).unwrap_or(i64::MAX);
        let created_at = FIRST_OPENED
            + slot * i64::try_from(index).unwrap_or(0)
            + rng.random_range(0..slot.max(1));
        let mut priority = *[
            Priority::P1,
            Priority::P2,
            Priority::P2,
            Priority::P3,
            Priority::P3,
            Priority::P3,
            Priority::P4,
        ]
        .choose(rng)
        .context("priorities")?;
        let mut stage = STAGES[0].to_string();
        let mut product = PRODUCTS.choose(rng).map(|p| p.to_string());
        let mut version = VERSIONS.choose(rng).map(|v| v.to_string());
        let model = MODELS.choose(rng).context("models")?;
        let title = if zh {
            format!("{}（{model}）", topic.zh)
        } else {
            format!("{} on {model}", topic.en)
        };
        let tag_count = rng.random_range(0..=2);
        let tags: Vec<String> = TAGS
            .choose_multiple(rng, tag_count)
            .map(|tag| tag.to_string())
            .collect();
        let opener = self.engineers.choose(rng).context("engineers")?.clone();

        // Older cases are mostly closed by now; recent ones mostly open.
        let age = (LAST_OPENED - created_at) as f64 / span as f64;
        let closes = rng.random_bool((0.35 + 0.6 * age).min(0.97));
        // Someone takes the case, work starts, notes and the odd wait or edit follow, and a
        // case that closes ends with its close.
        let steps = usize::try_from(size.saturating_sub(1)).unwrap_or(0);
        let mut plan: Vec<Step> = (0..steps)
            .map(|_| match rng.random_range(0..50) {
                0..=5 => Step::Status,
                6..=8 => Step::Assign,
                9..=13 => Step::Field,
                _ => Step::Note,
            })
            .collect();
        let closes = closes && steps >= 3;
        if let Some(first) = plan.first_mut() {
            *first = Step::Assign;
        }
        if let Some(second) = plan.get_mut(1) {
            *second = Step::Status;
        }
        if closes {
            if let Some(last) = plan.last_mut() {
                *last = Step::Status;
            }
        }

        let mut status = Status::New;
        let mut owner: Option<&Engineer> = None;
        let mut at = created_at;
        let mut entries = Vec::with_capacity(plan.len());
        for (position, step) in plan.iter().enumerate() {
            at = (at + gap(rng)).min(self.now.max(at));
            let worker = owner.unwrap_or(&opener).name.clone();
            let event = match step {
                Step::Note => {
                    let pool = if zh { &NOTES_ZH } else { &NOTES_EN };
                    let sentences = rng.random_range(1..=3);
                    let text: Vec<&str> = pool.choose_multiple(rng, sentences).copied().collect();
                    Event::Note {
                        text: text.join(if zh { "" } else { " " }),
                    }
                }
                Step::Assign => {
                    let next = self.engineers.choose(rng).context("engineers")?;
                    if owner.is_some_and(|current| current.id == next.id) {
                        let pool = if zh { &NOTES_ZH } else { &NOTES_EN };
                        Event::Note {
                            text: pool.choose(rng).map(|s| s.to_string()).unwrap_or_default(),
                        }
                    } else {
                        let event = Event::Assignment {
                            from: owner.map(|o| o.name.clone()),
                            to: Some(next.name.clone()),
                        };
                        owner = Some(next);
                        event
                    }
                }
                Step::Field => match rng.random_range(0..4) {
                    0 => {
                        let to = *[Priority::P1, Priority::P2, Priority::P3, Priority::P4]
                            .choose(rng)
                            .context("priorities")?;
                        let from = std::mem::replace(&mut priority, to);
                        Event::FieldChange {
                            field: CaseField::Priority,
                            from: Some(from.as_str().to_string()),
                            to: Some(to.as_str().to_string()),
                        }
                    }
                    1 => {
                        let to = STAGES.choose(rng).map(|s| s.to_string());
                        let from = std::mem::replace(&mut stage, to.clone().unwrap_or_default());
                        Event::FieldChange {
                            field: CaseField::Stage,
                            from: Some(from),
                            to,
                        }
                    }
                    2 => {
                        let to = PRODUCTS.choose(rng).map(|p| p.to_string());
                        let from = std::mem::replace(&mut product, to.clone());
                        Event::FieldChange {
                            field: CaseField::Product,
                            from,
                            to,
                        }
                    }
                    _ => {
                        let to = VERSIONS.choose(rng).map(|v| v.to_string());
                        let from = std::mem::replace(&mut version, to.clone());
                        Event::FieldChange {
                            field: CaseField::Version,
                            from,
                            to,
                        }
                    }
                },
                Step::Status => {
                    let to = next_status(rng, status, closes && position + 1 == steps);
                    let summary = match to {
                        Status::Archived => Some(Summary {
                            problem: Some(
                                if zh {
                                    topic.problem_zh
                                } else {
                                    topic.problem_en
                                }
                                .to_string(),
                            ),
                            summary: Some(
                                (if zh { &SUMMARY_ZH } else { &SUMMARY_EN })
                                    .choose(rng)
                                    .map(|text| text.to_string())
                                    .unwrap_or_default(),
                            ),
                            root_cause: None,
                            resolution: None,
                        }),
                        Status::Resolved => Some(Summary {
                            problem: Some(
                                if zh {
                                    topic.problem_zh
                                } else {
                                    topic.problem_en
                                }
                                .to_string(),
                            ),
                            summary: None,
                            root_cause: Some(
                                (if zh { &ROOT_CAUSE_ZH } else { &ROOT_CAUSE_EN })
                                    .choose(rng)
                                    .map(|text| text.to_string())
                                    .unwrap_or_default(),
                            ),
                            resolution: Some(
                                (if zh { &RESOLUTION_ZH } else { &RESOLUTION_EN })
                                    .choose(rng)
                                    .map(|text| text.to_string())
                                    .unwrap_or_default(),
                            ),
                        }),
                        _ => None,
                    };
                    let details = case::status::TransitionDetails {
                        summary: summary.clone(),
                    };
                    let from = status;
                    status = status
                        .transition(to, &details)
                        .with_context(|| format!("a synthetic case going from {from} to {to}"))?;
                    Event::StatusChange {
                        from: Some(from),
                        to,
                        summary,
                    }
                }
            };
            entries.push(LoadEntry {
                event,
                at,
                actor: Some(worker),
            });
        }
        Ok(LoadCase {
            title,
            priority,
            customer_org_id: Some(customer.id),
            customer: customer.name,
            stage,
            product,
            version,
            owner_person_id: owner.map(|o| o.id),
            tags,
            created_at,
            opened_by: Some(opener.name),
            entries,
        })
    }
}

/// The time between two entries: minutes to days, now and then weeks.
fn gap(rng: &mut StdRng) -> i64 {
    match rng.random_range(0..20) {
        0 => rng.random_range(7 * 24 * 60..45 * 24 * 60) * MINUTE,
        1..=6 => rng.random_range(24 * 60..5 * 24 * 60) * MINUTE,
        _ => rng.random_range(5..8 * 60) * MINUTE,
    }
}

/// Where a case goes next: to a close when `close` (or on when it is closed already), else to
/// another open status (reopening a closed one).
fn next_status(rng: &mut StdRng, from: Status, close: bool) -> Status {
    let allowed = from.allowed_targets();
    let wanted: Vec<Status> = if close {
        [
            Status::Resolved,
            Status::Resolved,
            Status::Archived,
            Status::Cancelled,
        ]
        .into_iter()
        .filter(|to| allowed.contains(to))
        .collect()
    } else {
        allowed
            .iter()
            .copied()
            .filter(|to| !to.is_closed())
            .collect()
    };
    wanted
        .choose(rng)
        .or_else(|| allowed.choose(rng))
        .copied()
        .unwrap_or(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_sum_to_the_entries_asked_for() {
        let mut rng = StdRng::seed_from_u64(3);
        let sizes = plan_sizes(&mut rng, 1000, 10_700);
        assert_eq!(sizes.len(), 1000);
        assert_eq!(sizes.iter().map(|s| u64::from(*s)).sum::<u64>(), 10_700);
        assert!(sizes.iter().all(|s| (1..=MAX_CASE_ENTRIES).contains(s)));
        assert!(sizes.iter().any(|s| *s > 30), "a long tail");
        assert_eq!(plan_sizes(&mut rng, 10, 10), vec![1; 10]);
    }

    #[test]
    fn cases_follow_the_state_machine_and_time() {
        let mut maker = Maker {
            rng: StdRng::seed_from_u64(1),
            now: LAST_OPENED + 400 * 24 * 60 * MINUTE,
            customers: vec![Customer {
                id: 7,
                name: "Acer".into(),
            }],
            engineers: ENGINEERS
                .iter()
                .zip(1..)
                .map(|((_, name), id)| Engineer {
                    id,
                    name: name.to_string(),
                })
                .collect(),
        };
        let mut closed = 0;
        for index in 0..500 {
            let size = 1 + u32::try_from(index % 40).unwrap();
            let case = maker.case(index, 500, size).unwrap();
            assert_eq!(case.entries.len() + 1, usize::try_from(size).unwrap());
            assert!((FIRST_OPENED..=LAST_OPENED).contains(&case.created_at));
            let mut status = Status::New;
            let mut at = case.created_at;
            let mut owner = None;
            for entry in &case.entries {
                assert!(entry.at >= at, "entries in time order");
                at = entry.at;
                match &entry.event {
                    Event::StatusChange { from, to, summary } => {
                        assert_eq!(*from, Some(status));
                        let details = case::status::TransitionDetails {
                            summary: summary.clone(),
                        };
                        status = status.transition(*to, &details).unwrap();
                    }
                    Event::Assignment { from, to } => {
                        assert_eq!(*from, owner);
                        owner = to.clone();
                    }
                    _ => {}
                }
            }
            let owner_name = case
                .owner_person_id
                .and_then(|id| maker.engineers.iter().find(|e| e.id == id))
                .map(|e| e.name.clone());
            assert_eq!(owner_name, owner, "the owner is the last assignment's");
            closed += usize::from(status.is_closed());
        }
        assert!((100..450).contains(&closed), "{closed} of 500 closed");
    }
}
